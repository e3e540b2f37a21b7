using System.Text;
using System.Text.Json;

namespace Pipeline.Config;

/// <summary>
/// A YAML subtree as canonical text, after <c>${VAR}</c> interpolation and without its marks: two subtrees with the
/// same fingerprint bind to the same settings. A reload compares components and top-level settings by it, so a
/// component whose lines only moved in the file is unchanged, and one whose variable changed value is changed.
/// </summary>
internal static class ConfigFingerprint
{
    public static string Of(ConfigNode node)
    {
        var text = new StringBuilder();
        Append(text, node);
        return text.ToString();
    }

    /// <summary>
    /// The fingerprint of every top-level setting outside the topology's sections, and of every key of the
    /// <c>telemetry</c> and <c>telemetry.logs</c> blocks on its own, by dotted path (<c>telemetry.logs.level</c>),
    /// so a reload can tell which of them changed.
    /// </summary>
    public static Dictionary<string, string> OfSettings(ConfigMapping root, IReadOnlySet<string> topologySections)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in root.Entries)
        {
            if (!topologySections.Contains(key.Value))
            {
                AddSetting(settings, key.Value, value);
            }
        }
        return settings;
    }

    private static void AddSetting(Dictionary<string, string> settings, string path, ConfigNode value)
    {
        if (value is ConfigMapping block && path is "telemetry" or "telemetry.logs")
        {
            foreach (var (key, inner) in block.Entries)
            {
                AddSetting(settings, path + "." + key.Value, inner);
            }
            return;
        }
        settings[path] = Of(value);
    }

    private static void Append(StringBuilder text, ConfigNode node)
    {
        switch (node)
        {
            case ConfigScalar scalar:
                // Quoted and plain differ only for null-like text, which binds differently.
                text.Append(scalar.IsNull ? "~" : JsonSerializer.Serialize(scalar.Value, ConfigFingerprintJson.Default.String));
                break;
            case ConfigMapping mapping:
                text.Append('{');
                foreach (var (key, value) in mapping.Entries.OrderBy(e => e.Key.Value, StringComparer.Ordinal))
                {
                    text.Append(JsonSerializer.Serialize(key.Value, ConfigFingerprintJson.Default.String)).Append(':');
                    Append(text, value);
                    text.Append(',');
                }
                text.Append('}');
                break;
            case ConfigSequence sequence:
                text.Append('[');
                foreach (var item in sequence.Items)
                {
                    Append(text, item);
                    text.Append(',');
                }
                text.Append(']');
                break;
        }
    }
}
