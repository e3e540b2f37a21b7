using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Processors.Kubernetes;

/// <summary>
/// The pods of one node, as the Kubernetes API says they are: listed, then watched from the list's resourceVersion
/// (<c>fieldSelector=spec.nodeName=&lt;node&gt;</c>, so a node agent never holds the whole cluster). A broken watch
/// resumes from the last resourceVersion seen; 410 Gone (that version is too old) re-lists; other errors are counted
/// and retried with capped, jittered backoff. At most <see cref="PodCacheSettings.MaxPods"/> pods: the oldest added
/// is evicted first.
/// </summary>
/// <remarks>
/// One per stage, shared by all its isolates. Isolates share no per-event state; this is not that, it is a read-only
/// view of the API server that one background loop writes. Readers need no lock: the map is a ConcurrentDictionary
/// (lock-free reads) and each value an immutable <see cref="PodMetadata"/> replaced whole, so a reader sees either the
/// old pod or the new one. The eviction order (<see cref="_age"/>) is touched by the loop alone.
/// </remarks>
public sealed class PodCache : IAsyncDisposable
{
    private readonly PodCacheSettings _settings;
    private readonly ILogger _logger;
    private readonly KubernetesInstruments _instruments;
    private readonly Func<string, string?> _environment;
    private readonly ConcurrentDictionary<PodKey, PodMetadata> _pods = new();

    // The loop's own: pods in the order they were added (or last changed), oldest first, for eviction.
    private readonly LinkedList<PodKey> _age = new();
    private readonly Dictionary<PodKey, LinkedListNode<PodKey>> _ageNodes = [];

    // The loop's own: deleted pods still served until their time is up (delay_deletion), in deletion order.
    private readonly Queue<(PodKey Key, PodMetadata Pod, DateTimeOffset Due)> _deleted = new();

    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private int _version;
    private int _warned;

    public PodCache(PodCacheSettings settings, ILogger logger, KubernetesInstruments instruments, Func<string, string?>? environment = null)
    {
        _settings = settings;
        _logger = logger;
        _instruments = instruments;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _instruments.SetCachedPods(0);
    }

    /// <summary>Changes with every write, so a reader can keep what it looked up while it stays the same.</summary>
    public int Version => Volatile.Read(ref _version);

    public int Count => _pods.Count;

    public bool TryGet(string podNamespace, string podName, out PodMetadata? pod)
        => _pods.TryGetValue(new PodKey(podNamespace, podName), out pod);

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var client = KubernetesApiAccess.TryCreate(_settings.ApiUrl, _environment, out var problem);
        if (client is null)
        {
            // Nothing will change that without a restart: say so, count it, and stop trying.
            _instruments.ApiErrors(KubernetesInstruments.NoConfig).Inc();
            WarnOnce(KubernetesInstruments.NoConfig, problem);
            return;
        }
        string? resourceVersion = null;
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            var progressed = false;
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await ListAsync(client, stop).ConfigureAwait(false);
                    progressed = true;
                }
                var (lastVersion, events, expired) = await WatchAsync(client, resourceVersion, stop).ConfigureAwait(false);
                resourceVersion = expired ? null : lastVersion;
                progressed |= events > 0 || expired;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Every API failure is counted and retried; the enricher carries on with path-derived fields.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var reason = Classify(ex);
                _instruments.ApiErrors(reason).Inc();
                if (reason == KubernetesInstruments.Expired)
                {
                    resourceVersion = null;
                    continue;
                }
                WarnOnce(reason, ex.Message);
            }
            // A watch that ended without news (or a failure) waits before the next request, so a server that closes
            // at once or keeps failing is not hammered; one that delivered events is resumed at once.
            failures = progressed ? 0 : failures + 1;
            if (failures > 0)
            {
                try
                {
                    await Task.Delay(Backoff(failures), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Replaces the cache with the node's pods; returns the list's resourceVersion to watch from.</summary>
    private async Task<string> ListAsync(IKubernetes client, CancellationToken stop)
    {
        var list = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: FieldSelector, cancellationToken: stop).ConfigureAwait(false);
        var listed = new HashSet<PodKey>();
        foreach (var pod in list.Items ?? [])
        {
            if (KeyOf(pod) is { } key)
            {
                listed.Add(key);
                Put(key, pod);
            }
        }
        // Pods deleted while the watch was down: forgotten like any other deleted pod.
        foreach (var key in _pods.Keys.Where(k => !listed.Contains(k) && !_deleted.Any(d => d.Key == k)).ToList())
        {
            Delete(key);
        }
        if (Interlocked.Exchange(ref _warned, 0) == 1)
        {
            _logger.Information("The Kubernetes API answers again: {Pods} pods of node {Node} listed", listed.Count, _settings.NodeName);
        }
        return list.Metadata?.ResourceVersion
            ?? throw new JsonException("the pod list has no metadata.resourceVersion to watch from");
    }

    /// <summary>
    /// Applies watch events until the server ends the stream (or a 410 Gone arrives as an ERROR event); returns the
    /// last resourceVersion seen, how many events came, and whether the version expired (then the caller re-lists).
    /// </summary>
    private async Task<(string ResourceVersion, int Events, bool Expired)> WatchAsync(IKubernetes client, string resourceVersion, CancellationToken stop)
    {
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var expired = false;
        var events = 0;
        void OnError(Exception ex)
        {
            var reason = Classify(ex);
            _instruments.ApiErrors(reason).Inc();
            if (reason == KubernetesInstruments.Expired)
            {
                expired = true;
                watch.Cancel();
            }
        }
        try
        {
            var stream = client.CoreV1.WatchListPodForAllNamespacesAsync(
                fieldSelector: FieldSelector, resourceVersion: resourceVersion, allowWatchBookmarks: true, onError: OnError, cancellationToken: watch.Token);
            await foreach (var (type, pod) in stream.ConfigureAwait(false))
            {
                events++;
                ForgetDeleted();
                resourceVersion = pod?.Metadata?.ResourceVersion ?? resourceVersion;
                if (pod is null || KeyOf(pod) is not { } key)
                {
                    continue;
                }
                switch (type)
                {
                    case WatchEventType.Added:
                    case WatchEventType.Modified:
                        Put(key, pod);
                        break;
                    case WatchEventType.Deleted:
                        Delete(key);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (expired && !stop.IsCancellationRequested)
        {
        }
        return (resourceVersion, events, expired);
    }

    private string FieldSelector => "spec.nodeName=" + _settings.NodeName;

    private void Put(PodKey key, V1Pod pod)
    {
        var metadata = PodMetadata.From(pod);
        if (_ageNodes.Remove(key, out var node))
        {
            _age.Remove(node);
        }
        else
        {
            while (_ageNodes.Count >= _settings.MaxPods && _age.First is { } oldest)
            {
                _age.RemoveFirst();
                _ageNodes.Remove(oldest.Value);
                _pods.TryRemove(oldest.Value, out _);
                _instruments.EvictedPods.Inc();
            }
        }
        _ageNodes.Add(key, _age.AddLast(key));
        _pods[key] = metadata;
        Changed();
    }

    /// <summary>
    /// A deleted pod is served for <see cref="PodCacheSettings.DelayDeletion"/> more: its last lines are usually read
    /// after the API says it is gone, and they should be enriched like the others (Vector's delay_deletion_ms).
    /// </summary>
    private void Delete(PodKey key)
    {
        if (_pods.TryGetValue(key, out var pod))
        {
            _deleted.Enqueue((key, pod, DateTimeOffset.UtcNow + _settings.DelayDeletion));
            ForgetDeleted();
        }
    }

    /// <summary>Removes the deleted pods whose delay is over, unless they came back (the same name, a new object) since.</summary>
    private void ForgetDeleted()
    {
        var now = DateTimeOffset.UtcNow;
        while (_deleted.TryPeek(out var deleted) && deleted.Due <= now)
        {
            _deleted.Dequeue();
            if (_pods.TryGetValue(deleted.Key, out var current) && ReferenceEquals(current, deleted.Pod))
            {
                if (_ageNodes.Remove(deleted.Key, out var node))
                {
                    _age.Remove(node);
                }
                _pods.TryRemove(deleted.Key, out _);
                Changed();
            }
        }
    }

    private void Changed()
    {
        Interlocked.Increment(ref _version);
        _instruments.SetCachedPods(_pods.Count);
    }

    private void WarnOnce(string reason, string detail)
    {
        if (Interlocked.Exchange(ref _warned, 1) == 0)
        {
            _logger.Warning(
                "No pod metadata from the Kubernetes API ({Reason}: {Detail}): events keep the fields their log path gives; "
                + "retrying, and counting failures in " + TelemetryNames.KubernetesApiErrorsMetric, reason, detail);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var capped = Math.Min(_settings.MaxBackoff.TotalMilliseconds, _settings.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16)));
        // Full jitter on the upper half: nodes that lost the API together do not come back in step.
        return TimeSpan.FromMilliseconds(capped / 2 + (Random.Shared.NextDouble() * capped / 2));
    }

    private static string Classify(Exception ex) => ex switch
    {
        HttpOperationException { Response.StatusCode: var status } => Classify(status),
        KubernetesException { Status.Code: { } code } => Classify((HttpStatusCode)code),
        HttpRequestException or IOException or TimeoutException or OperationCanceledException => KubernetesInstruments.Unreachable,
        _ => KubernetesInstruments.InvalidResponse,
    };

    private static string Classify(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => KubernetesInstruments.Unauthorized,
        HttpStatusCode.Forbidden => KubernetesInstruments.Forbidden,
        HttpStatusCode.Gone => KubernetesInstruments.Expired,
        _ => KubernetesInstruments.HttpStatus,
    };

    private static PodKey? KeyOf(V1Pod pod)
        => pod.Metadata is { NamespaceProperty: { } ns, Name: { } name } ? new PodKey(ns, name) : null;

    private readonly record struct PodKey(string Namespace, string Name);
}
