using System.Text.Json;

namespace Pipeline.Processors.Script;

/// <summary>The driver script (ScriptDriver.js, embedded): what every runtime evaluates after the user's script.</summary>
internal static class ScriptDriverText
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(ScriptDriverText).Assembly.GetManifestResourceStream("Pipeline.Processors.Script.ScriptDriver.js")
            ?? throw new InvalidOperationException("the script driver is missing from the assembly's resources");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Value => Text.Value;

    /// <summary>The stage's named outputs as the JSON array the driver takes (a .NET array would reach it as a host object).</summary>
    public static string OutputNamesJson(IReadOnlyList<string> names)
        => JsonSerializer.Serialize(names, ScriptJson.Default.IReadOnlyListString);
}
