using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.Telemetry;

namespace Pipeline.Tests.LogToMetric;

/// <summary>Reads series back from a registry's Prometheus text exposition, as a scraper would.</summary>
internal static partial class DerivedMetricsText
{
    public static async Task<string> ScrapeAsync(PipelineMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Every sample of <paramref name="name"/> (exactly, not its _bucket/_sum/_count), by its label text.</summary>
    public static Dictionary<string, double> Samples(string text, string name)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match match in SampleLine().Matches(text))
        {
            if (match.Groups["name"].Value == name)
            {
                samples[match.Groups["labels"].Value] = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
