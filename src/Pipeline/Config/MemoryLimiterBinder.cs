using System.Globalization;
using Pipeline.Components;
using Pipeline.Isolates;

namespace Pipeline.Config;

/// <summary>Binds the top-level <c>memory_limiter: { enabled, limit: 80% | SIZE, spike: 20% | SIZE, check_interval }</c>.</summary>
internal static class MemoryLimiterBinder
{
    public const string Key = "memory_limiter";

    private static readonly string[] Keys = ["enabled", "limit", "spike", "check_interval"];

    public static MemoryLimiterSettings? Bind(ConfigNode value, List<ConfigError> errors)
    {
        if (value is not ConfigMapping mapping)
        {
            errors.Add(new ConfigError(value.Mark, $"'{Key}': expected a mapping such as {{ limit: 80%, spike: 20%, check_interval: 1s }}, found {value.Describe()}"));
            return null;
        }
        var settings = new MemoryLimiterSettings();
        foreach (var (key, node) in mapping.Entries)
        {
            var what = $"'{Key}.{key.Value}'";
            switch (key.Value)
            {
                case "enabled":
                    if (OptionValueConverter.TryConvert(node, typeof(bool), what, errors, out var enabled) && enabled is bool on)
                    {
                        settings.Enabled = on;
                    }
                    break;
                case "limit":
                    if (TrySizeOrPercent(node, what, errors, out var limitBytes, out var limitPercent))
                    {
                        (settings.Limit, settings.LimitPercent) = (limitBytes, limitPercent ?? settings.LimitPercent);
                    }
                    break;
                case "spike":
                    if (TrySizeOrPercent(node, what, errors, out var spikeBytes, out var spikePercent))
                    {
                        (settings.Spike, settings.SpikePercent) = (spikeBytes, spikePercent ?? settings.SpikePercent);
                    }
                    break;
                case "check_interval":
                    if (OptionValueConverter.TryConvert(node, typeof(TimeSpan), what, errors, out var interval) && interval is TimeSpan every)
                    {
                        if (every > TimeSpan.Zero)
                        {
                            settings.CheckInterval = every;
                        }
                        else
                        {
                            errors.Add(new ConfigError(node.Mark, $"{what}: expected a duration longer than 0, found {node.Describe()}"));
                        }
                    }
                    break;
                default:
                    errors.Add(new ConfigError(key.Mark, $"'{Key}': unknown key '{key.Value}' (expected one of {string.Join(", ", Keys)})",
                        SpellingSuggestion.Closest(key.Value, Keys)));
                    break;
            }
        }
        return settings;
    }

    /// <summary>A percentage (1%–100%) or a size (512MiB).</summary>
    private static bool TrySizeOrPercent(ConfigNode node, string what, List<ConfigError> errors, out long? bytes, out int? percent)
    {
        bytes = null;
        percent = null;
        if (node is ConfigScalar { Value: var text } && text.EndsWith('%'))
        {
            if (int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 100)
            {
                percent = p;
                return true;
            }
            errors.Add(new ConfigError(node.Mark, $"{what}: expected a percentage between 1% and 100% or a size such as 512MiB, found {node.Describe()}"));
            return false;
        }
        if (OptionValueConverter.TryConvert(node, typeof(ByteSize), what, errors, out var size) && size is ByteSize b)
        {
            bytes = b.Bytes;
            return true;
        }
        return false;
    }
}
