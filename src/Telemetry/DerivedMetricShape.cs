namespace Pipeline.Telemetry;

/// <summary>What a derived metric is: its full Prometheus name, type, label names and (histograms) bucket bounds.</summary>
/// <param name="MaxSeries">The most label sets it exports; the rest are counted, not kept.</param>
public sealed record DerivedMetricShape(
    string Name, DerivedMetricType Type, string Help, IReadOnlyList<string> LabelNames, IReadOnlyList<double> Buckets, int MaxSeries)
{
    /// <summary>Same name, type, labels and buckets: what prometheus-net can hand back as the family it already holds.</summary>
    public bool Matches(DerivedMetricShape other)
        => other is not null && Name == other.Name && Type == other.Type
            && LabelNames.SequenceEqual(other.LabelNames, StringComparer.Ordinal) && Buckets.SequenceEqual(other.Buckets);

    public string Describe()
        => $"{Type.ToString().ToLowerInvariant()} with labels [{string.Join(", ", LabelNames)}]"
            + (Type == DerivedMetricType.Histogram ? $" and buckets [{string.Join(", ", Buckets.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]" : "");
}
