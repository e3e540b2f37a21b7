using System.Diagnostics;
using Pipeline.Telemetry;

namespace Pipeline.Topology;

/// <summary>
/// Turns counters into live numbers for <c>/topology</c>: each call keeps a sample of the counters, and rates and
/// P95s are computed against the newest sample at least <see cref="Window"/> old (or the oldest one there is, or the
/// start when this is the first call). No timer runs: the endpoint's own polling is the sampler.
/// </summary>
internal sealed class TopologyRates
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    /// <summary>Samples older than this are of no use and are dropped.</summary>
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly LinkedList<Sample> _samples = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    public TopologySnapshot Apply(TopologySnapshot now, long[] edgeCounts, IReadOnlyDictionary<string, double[]> buckets)
    {
        var sample = new Sample(Stopwatch.GetTimestamp(), now.Nodes.ToDictionary(n => n.Id, n => n), edgeCounts, buckets);
        Sample? reference;
        lock (_lock)
        {
            reference = PickReference(sample.Timestamp);
            _samples.AddLast(sample);
            while (_samples.First is { } first && Stopwatch.GetElapsedTime(first.Value.Timestamp, sample.Timestamp) > Keep)
            {
                _samples.RemoveFirst();
            }
        }
        var seconds = Stopwatch.GetElapsedTime(reference?.Timestamp ?? _started, sample.Timestamp).TotalSeconds;
        double Rate(long current, long? before) => seconds <= 0 ? 0 : Math.Max(0, current - (before ?? 0)) / seconds;

        var nodes = now.Nodes.Select(node =>
        {
            TopologyNode? old = null;
            reference?.Nodes.TryGetValue(node.Id, out old);
            return node with
            {
                ReceivedPerSecond = Rate(node.Received, old?.Received),
                SentPerSecond = Rate(node.Sent, old?.Sent),
                ErrorsPerSecond = Rate(node.Errors, old?.Errors),
                P95Seconds = P95(node.Id, buckets, reference),
            };
        }).ToList();
        var edges = now.Edges.Select((edge, i) => edge with
        {
            EventsPerSecond = Rate(edgeCounts[i], reference is { } r && i < r.EdgeCounts.Length ? r.EdgeCounts[i] : null),
        }).ToList();
        return now with { Nodes = nodes, Edges = edges };
    }

    /// <summary>The P95 of what was observed since the reference sample; of everything when nothing new came in.</summary>
    private static double? P95(string componentId, IReadOnlyDictionary<string, double[]> buckets, Sample? reference)
    {
        if (!buckets.TryGetValue(componentId, out var cumulative))
        {
            return null;
        }
        var recent = PerBucket(cumulative);
        if (reference is not null && reference.Buckets.TryGetValue(componentId, out var before))
        {
            var older = PerBucket(before);
            var delta = new double[recent.Length];
            var any = false;
            for (var i = 0; i < delta.Length; i++)
            {
                delta[i] = Math.Max(0, recent[i] - older[i]);
                any |= delta[i] > 0;
            }
            if (any)
            {
                recent = delta;
            }
        }
        return LatencyBuckets.Quantile(0.95, LatencyBuckets.Bounds, recent);
    }

    private static double[] PerBucket(double[] cumulative)
    {
        var counts = new double[cumulative.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Math.Max(0, cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]));
        }
        return counts;
    }

    private Sample? PickReference(long now)
    {
        Sample? reference = null;
        for (var node = _samples.Last; node is not null; node = node.Previous)
        {
            reference = node.Value;
            if (Stopwatch.GetElapsedTime(node.Value.Timestamp, now) >= Window)
            {
                break;
            }
        }
        return reference;
    }

    private sealed record Sample(long Timestamp, Dictionary<string, TopologyNode> Nodes, long[] EdgeCounts, IReadOnlyDictionary<string, double[]> Buckets);
}
