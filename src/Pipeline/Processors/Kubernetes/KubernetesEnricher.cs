using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Processors.Kubernetes;

/// <summary>
/// Adds <c>.kubernetes.*</c> (Vector's kubernetes_logs names) to an event from its log file's path, and from the
/// stage's <see cref="PodCache"/> when there is one and it knows the pod. An event whose path is no container log
/// path (or that has none) is sent on unchanged and counted: enrichment is best effort, never a reason to lose a line.
/// </summary>
internal sealed class KubernetesEnricher(FieldPath field, LogPathCache paths, PodCache? pods, KubernetesInstruments? instruments) : IProcessor
{
    private static readonly FieldPath PodName = FieldPath.Parse(".kubernetes.pod_name");
    private static readonly FieldPath PodNamespace = FieldPath.Parse(".kubernetes.pod_namespace");
    private static readonly FieldPath ContainerName = FieldPath.Parse(".kubernetes.container_name");
    private static readonly FieldPath ContainerId = FieldPath.Parse(".kubernetes.container_id");
    private static readonly FieldPath PodUid = FieldPath.Parse(".kubernetes.pod_uid");
    private static readonly FieldPath PodNodeName = FieldPath.Parse(".kubernetes.pod_node_name");
    private static readonly FieldPath PodLabels = FieldPath.Parse(".kubernetes.pod_labels");
    private static readonly FieldPath PodAnnotations = FieldPath.Parse(".kubernetes.pod_annotations");

    // The last pod looked up, kept while neither the path nor the cache changed: consecutive lines of one file then
    // cost no lookup at all.
    private ContainerLogPath? _lastPath;
    private int _lastVersion;
    private PodMetadata? _lastPod;

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        // The path is parsed (or found) before the event is written: the span points into the event's storage.
        var path = evt.Get(field).TryGetUtf8(out var utf8) ? paths.Get(utf8) : null;
        if (path is null)
        {
            instruments?.UnmatchedPaths.Inc();
            output.Emit(evt);
            return ValueTask.CompletedTask;
        }
        var pod = pods is null ? null : Lookup(pods, path);
        if (!evt.TryAppendObject("kubernetes"u8, MembersOf(path, pod)))
        {
            // The event already has a .kubernetes object: the fields go into it one by one.
            evt.SetString(PodName, path.PodName);
            evt.SetString(PodNamespace, path.PodNamespace);
            evt.SetString(ContainerName, path.ContainerName);
            if (path.ContainerId is { } containerId)
            {
                evt.SetString(ContainerId, containerId);
            }
            if ((pod?.Uid ?? path.PodUid) is { } uid)
            {
                evt.SetString(PodUid, uid);
            }
            if (pod?.NodeName is { } node)
            {
                evt.SetString(PodNodeName, node);
            }
        }
        if (pod is not null)
        {
            evt.SetJson(PodLabels, pod.LabelsJson);
            evt.SetJson(PodAnnotations, pod.AnnotationsJson);
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }

    // The string fields of the last path and pod, as UTF-8 members: built once per file, appended to every line of it.
    private ContainerLogPath? _membersPath;
    private PodMetadata? _membersPod;
    private KeyValuePair<byte[], byte[]>[] _members = [];

    private ReadOnlySpan<KeyValuePair<byte[], byte[]>> MembersOf(ContainerLogPath path, PodMetadata? pod)
    {
        if (ReferenceEquals(path, _membersPath) && ReferenceEquals(pod, _membersPod))
        {
            return _members;
        }
        var members = new List<KeyValuePair<byte[], byte[]>>(6)
        {
            new("pod_name"u8.ToArray(), path.PodName),
            new("pod_namespace"u8.ToArray(), path.PodNamespace),
            new("container_name"u8.ToArray(), path.ContainerName),
        };
        if (path.ContainerId is { } containerId)
        {
            members.Add(new("container_id"u8.ToArray(), containerId));
        }
        if ((pod?.Uid ?? path.PodUid) is { } uid)
        {
            members.Add(new("pod_uid"u8.ToArray(), uid));
        }
        if (pod?.NodeName is { } node)
        {
            members.Add(new("pod_node_name"u8.ToArray(), node));
        }
        (_membersPath, _membersPod, _members) = (path, pod, [.. members]);
        return _members;
    }

    private PodMetadata? Lookup(PodCache cache, ContainerLogPath path)
    {
        var version = cache.Version;
        if (!ReferenceEquals(path, _lastPath) || version != _lastVersion)
        {
            cache.TryGet(path.Namespace, path.Name, out _lastPod);
            _lastPath = path;
            _lastVersion = version;
        }
        return _lastPod;
    }
}
