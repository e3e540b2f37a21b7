using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Tests.Observability;

/// <summary>A parsed Prometheus text (or OpenMetrics) exposition: samples by name and labels, and exemplars.</summary>
internal sealed partial class Exposition
{
    private Exposition(IReadOnlyList<Sample> samples) => Samples = samples;

    public IReadOnlyList<Sample> Samples { get; }

    public static Exposition Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            var exemplar = match.Groups["exemplar"].Success
                ? LabelPair().Matches(match.Groups["exemplar"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value)
                : null;
            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture), exemplar));
        }
        return new Exposition(samples);
    }

    /// <summary>The samples of <paramref name="name"/> whose labels include every given pair.</summary>
    public IReadOnlyList<Sample> Find(string name, params (string Label, string Value)[] labels)
        => [.. Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value))];

    /// <summary>The value of the single sample of <paramref name="name"/> with these labels.</summary>
    public double Value(string name, params (string Label, string Value)[] labels)
    {
        var found = Find(name, labels);
        Assert.True(found.Count == 1, $"expected one {name} with {string.Join(",", labels)}, found {found.Count}");
        return found[0].Value;
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*?)\})? (?<value>\S+)( \d+(\.\d+)?)?( # \{(?<exemplar>[^}]*)\} \S+( \S+)?)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex LabelPair();

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, IReadOnlyDictionary<string, string>? Exemplar);
}
