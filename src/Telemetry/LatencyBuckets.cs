using System.Diagnostics;

namespace Pipeline.Telemetry;

/// <summary>
/// The bucket bounds of every latency histogram, and the quantile estimate over them that <c>/topology</c> uses.
/// </summary>
/// <remarks>
/// Six buckets per decade (1, 1.5, 2.5, 3.5, 5, 7 × 10^k) from 1 µs to 10 s: 43 bounds, at most a factor of 1.67
/// apart. A P95 anywhere from 10 µs to 10 s is then known to within one bucket, and linear interpolation inside the
/// bucket (what PromQL's histogram_quantile does) lies within that bucket; the integration suite checks it against
/// the spans of a 20 ms stage. Round numbers rather than 10^(1/6) steps, so the SLOs operators pick (0.1 s, 0.25 s,
/// 5 s) are bucket bounds and "over the SLO" is a count, not an interpolation. The decade below 10 µs is there
/// because most stages here take a few microseconds per event.
/// </remarks>
public static class LatencyBuckets
{
    private static readonly double[] Mantissas = [1, 1.5, 2.5, 3.5, 5, 7];

    /// <summary>Upper bounds in seconds, ascending; +Inf is implied.</summary>
    public static IReadOnlyList<double> Bounds { get; } = Create();

    public static readonly double SecondsPerTick = 1.0 / Stopwatch.Frequency;

    /// <summary>
    /// The <paramref name="quantile"/> (0..1) of the observations counted in <paramref name="bucketCounts"/>
    /// (per bucket, not cumulative; one more entry than <paramref name="bounds"/> for +Inf), interpolated linearly
    /// inside the bucket where it falls, as PromQL's histogram_quantile does. Null when there are no observations.
    /// </summary>
    public static double? Quantile(double quantile, IReadOnlyList<double> bounds, IReadOnlyList<double> bucketCounts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantile, 1);
        double total = 0;
        foreach (var count in bucketCounts)
        {
            total += count;
        }
        if (total <= 0)
        {
            return null;
        }
        var rank = quantile * total;
        double seen = 0;
        for (var i = 0; i < bucketCounts.Count; i++)
        {
            var count = bucketCounts[i];
            if (seen + count >= rank && count > 0)
            {
                if (i >= bounds.Count)
                {
                    // In the +Inf bucket: the highest finite bound is all that is known, as in PromQL.
                    return bounds[^1];
                }
                var lower = i == 0 ? 0 : bounds[i - 1];
                return lower + ((bounds[i] - lower) * ((rank - seen) / count));
            }
            seen += count;
        }
        return bounds[^1];
    }

    private static double[] Create()
    {
        var bounds = new List<double>();
        for (var exponent = -6; exponent < 1; exponent++)
        {
            foreach (var mantissa in Mantissas)
            {
                // Rounded to the printed digits, so the "le" labels read 3.5e-05, not 3.5000000000000004e-05.
                bounds.Add(double.Parse($"{mantissa}e{exponent}", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        bounds.Add(10);
        return [.. bounds];
    }
}
