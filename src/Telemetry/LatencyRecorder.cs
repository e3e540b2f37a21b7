using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// One isolate's share of a latency histogram: observations are counted in plain arrays owned by the isolate (no
/// interlocked operation, no cache line shared with the stage's other isolates), and handed to the Prometheus
/// histogram when metrics are collected.
/// </summary>
/// <remarks>
/// Measured on the throughput benchmark: observing prometheus-net's histogram child directly, shared by a stage's
/// isolates, cost about as much per event as a filter stage itself. Here a hop costs one bucket scan and two array
/// increments. At collection each bucket's new observations go to the histogram as one
/// <see cref="Histogram.Child.Observe(double, long)"/> of their mean, which lies inside the bucket, so bucket counts,
/// count and sum come out exact. An observation that should carry an exemplar (a sampled event, its span current)
/// goes to the histogram directly instead: exemplars need the real observation.
/// </remarks>
public sealed class LatencyRecorder
{
    private static readonly long[] BoundTicks = [.. LatencyBuckets.Bounds.Select(b => (long)Math.Round(b * System.Diagnostics.Stopwatch.Frequency))];

    // For each power of two, the first bucket whose bound reaches it: a value's bucket is then at most two steps on,
    // since bounds are at most 1.67x apart and powers of two 2x. Saves the scan through the low buckets for long waits.
    private static readonly int[] FirstBucketAtLog2 = CreateLog2Index();

    private readonly Histogram.Child _histogram;
    private readonly long[] _counts = new long[BoundTicks.Length + 1];
    private readonly long[] _sums = new long[BoundTicks.Length + 1];
    private readonly long[] _flushedCounts = new long[BoundTicks.Length + 1];
    private readonly long[] _flushedSums = new long[BoundTicks.Length + 1];
    private readonly Lock _flush = new();

    internal LatencyRecorder(Histogram.Child histogram) => _histogram = histogram;

    /// <summary>Counts one observation of <paramref name="ticks"/> (<see cref="System.Diagnostics.Stopwatch"/> ticks); the owning isolate only.</summary>
    public void RecordTicks(long ticks) => RecordTicks(ticks, 1);

    /// <summary>Counts <paramref name="weight"/> observations of <paramref name="ticks"/>; the owning isolate only.</summary>
    public void RecordTicks(long ticks, int weight)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }
        var bounds = BoundTicks;
        var i = FirstBucketAtLog2[System.Numerics.BitOperations.Log2((ulong)ticks)];
        while (i < bounds.Length && ticks > bounds[i])
        {
            i++;
        }
        _counts[i] += weight;
        _sums[i] += ticks * weight;
    }

    /// <summary>Records <paramref name="ticks"/> straight into the histogram, with the current span as its exemplar.</summary>
    public void RecordWithExemplar(long ticks) => StageInstruments.ObserveTicks(_histogram, ticks);

    private static int[] CreateLog2Index()
    {
        var index = new int[64];
        for (var log2 = 0; log2 < index.Length; log2++)
        {
            var low = 1L << log2;
            var i = 0;
            while (i < BoundTicks.Length && BoundTicks[i] < low)
            {
                i++;
            }
            index[log2] = i;
        }
        return index;
    }

    /// <summary>Hands the observations counted since the last flush to the histogram; at collection time.</summary>
    public void Flush()
    {
        lock (_flush)
        {
            for (var i = 0; i < _counts.Length; i++)
            {
                var count = Volatile.Read(ref _counts[i]);
                var delta = count - _flushedCounts[i];
                if (delta <= 0)
                {
                    continue;
                }
                var sum = Volatile.Read(ref _sums[i]);
                var mean = (double)(sum - _flushedSums[i]) / delta;
                // A read racing the isolate's write may see the count before the sum; the mean is kept in the bucket.
                var lower = i == 0 ? 0 : BoundTicks[i - 1] + 1;
                var upper = i < BoundTicks.Length ? BoundTicks[i] : long.MaxValue;
                mean = Math.Clamp(mean, lower, upper);
                _histogram.Observe(mean * LatencyBuckets.SecondsPerTick, delta);
                _flushedCounts[i] = count;
                _flushedSums[i] = sum;
            }
        }
    }
}
