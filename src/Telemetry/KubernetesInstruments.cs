using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics of one kubernetes enricher stage, bound once: log paths it could not read, and its cache of the node's
/// pods (size, evictions, and the Kubernetes API's errors by reason).
/// </summary>
public sealed class KubernetesInstruments
{
    /// <summary>API error reasons, the values of the <c>reason</c> label.</summary>
    public const string NoConfig = "no_config";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string Expired = "expired";
    public const string HttpStatus = "http_status";
    public const string Unreachable = "unreachable";
    public const string InvalidResponse = "invalid_response";

    private readonly Gauge.Child _cachedPods;
    private readonly Func<string, MetricCounter> _apiErrors;

    internal KubernetesInstruments(MetricCounter unmatchedPaths, Gauge.Child cachedPods, MetricCounter evictedPods, Func<string, MetricCounter> apiErrors)
    {
        UnmatchedPaths = unmatchedPaths;
        _cachedPods = cachedPods;
        EvictedPods = evictedPods;
        _apiErrors = apiErrors;
    }

    /// <summary>Events whose path is no container log path (left unchanged and sent on).</summary>
    public MetricCounter UnmatchedPaths { get; }

    /// <summary>Pods evicted from a full cache (max_pods) to make room for a newer one.</summary>
    public MetricCounter EvictedPods { get; }

    /// <summary>The counter of one kind of API error (see the constants), bound on first use; callers may cache it.</summary>
    public MetricCounter ApiErrors(string reason) => _apiErrors(reason);

    public void SetCachedPods(int count) => _cachedPods.Set(count);
}
