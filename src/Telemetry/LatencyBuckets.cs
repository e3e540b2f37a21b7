using System.Diagnostics;

namespace Pipeline.Telemetry;

/// <summary>
/// The bucket bounds of every latency histogram, and the quantile estimate over them that <c>/topology</c> uses.
/// </summary>
/// <remarks>
/// Six buckets per decade (1, 1.47, 2.15, 3.16, 4.64, 6.81 × 10^k, i.e. 10^(1/6) apart) from 1 µs to 10 s: 43 bounds.
/// A P95 anywhere from 10 µs to 10 s is then known to within one bucket, a factor of 1.47, and linear
/// interpolation inside the bucket (what PromQL's histogram_quantile does) usually lands much closer. The decade
/// below 10 µs is there because most stages here take a few microseconds per event.
/// </remarks>
public static class LatencyBuckets
{
    private static readonly double[] Mantissas = [1, 1.47, 2.15, 3.16, 4.64, 6.81];

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
                // Rounded to the printed digits, so the "le" labels read 1.47e-05, not 1.4700000000000001e-05.
                bounds.Add(double.Parse($"{mantissa}e{exponent}", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        bounds.Add(10);
        return [.. bounds];
    }
}
