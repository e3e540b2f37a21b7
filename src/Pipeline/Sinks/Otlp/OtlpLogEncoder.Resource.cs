using System.Buffers;
using Pipeline.Events;

namespace Pipeline.Sinks.Otlp;

// The resource and the scope of a record: the event's own resources and scope objects when it has them (what the otlp
// source makes), else a resource built from the kubernetes enricher's fields and the host and service fields, under
// OpenTelemetry's semantic-convention names.
internal sealed partial class OtlpLogEncoder
{
    private static ReadOnlySpan<byte> KubernetesKey => "kubernetes"u8;
    private static ReadOnlySpan<byte> HostKey => "host"u8;
    private static ReadOnlySpan<byte> ServiceKey => "service"u8;
    private static ReadOnlySpan<byte> PodLabelsKey => "pod_labels"u8;
    private static ReadOnlySpan<byte> PodAnnotationsKey => "pod_annotations"u8;
    private static ReadOnlySpan<byte> ContainerNameKey => "container_name"u8;

    /// <summary>The kubernetes enricher's string fields and their semantic-convention names.</summary>
    private static readonly (byte[] Field, byte[] Attribute)[] KubernetesAttributes =
    [
        ("pod_name"u8.ToArray(), "k8s.pod.name"u8.ToArray()),
        ("pod_namespace"u8.ToArray(), "k8s.namespace.name"u8.ToArray()),
        ("container_name"u8.ToArray(), "k8s.container.name"u8.ToArray()),
        ("container_id"u8.ToArray(), "container.id"u8.ToArray()),
        ("pod_uid"u8.ToArray(), "k8s.pod.uid"u8.ToArray()),
        ("pod_node_name"u8.ToArray(), "k8s.node.name"u8.ToArray()),
    ];

    /// <summary>Where service.name comes from when the event has no service field, first found wins (the semantic conventions' order for Kubernetes, then the older app label).</summary>
    private static readonly (byte[] Map, byte[] Key)[] ServiceNameSources =
    [
        ("pod_annotations"u8.ToArray(), "resource.opentelemetry.io/service.name"u8.ToArray()),
        ("pod_labels"u8.ToArray(), "app.kubernetes.io/name"u8.ToArray()),
        ("pod_labels"u8.ToArray(), "app"u8.ToArray()),
    ];

    private static bool IsResourceSource(ReadOnlySpan<byte> key, EventValue value)
        => (key.SequenceEqual(KubernetesKey) && value.Kind == EventValueKind.Object)
            || ((key.SequenceEqual(HostKey) || key.SequenceEqual(ServiceKey)) && value.Kind == EventValueKind.String);

    private ReadOnlySpan<byte> ResourceFingerprint(EventValue root)
    {
        _scratch.ResetWrittenCount();
        if (root.TryGetMember(ResourcesKey, out var resources) && resources.Kind == EventValueKind.Object)
        {
            _scratch.Write("R"u8);
            resources.WriteUtf8(_scratch);
            return _scratch.WrittenSpan;
        }
        // 0xFF never occurs in UTF-8, so the parts cannot run into one another.
        _scratch.Write("K"u8);
        if (root.TryGetMember(KubernetesKey, out var kubernetes) && kubernetes.Kind == EventValueKind.Object)
        {
            kubernetes.WriteUtf8(_scratch);
        }
        _scratch.Write<byte>([0xFF]);
        if (root.TryGetMember(HostKey, out var host) && host.TryGetUtf8(out var hostName))
        {
            _scratch.Write(hostName);
        }
        _scratch.Write<byte>([0xFF]);
        if (root.TryGetMember(ServiceKey, out var service) && service.TryGetUtf8(out var serviceName))
        {
            _scratch.Write(serviceName);
        }
        return _scratch.WrittenSpan;
    }

    private void WriteResource(EventValue root)
    {
        var resource = _writer.BeginMessage(1);
        if (root.TryGetMember(ResourcesKey, out var resources) && resources.Kind == EventValueKind.Object)
        {
            var members = resources.EnumerateMembers();
            while (members.MoveNext())
            {
                WriteKeyValue(1, members.Key, members.Current);
            }
            _writer.EndMessage(resource);
            return;
        }
        root.TryGetMember(KubernetesKey, out var kubernetes);
        if (kubernetes.Kind == EventValueKind.Object)
        {
            WriteKubernetes(kubernetes);
        }
        if (root.TryGetMember(HostKey, out var host) && host.TryGetUtf8(out var hostName))
        {
            WriteKeyValue(1, "host.name"u8, hostName);
        }
        if (ServiceName(root, kubernetes) is { IsMissing: false } serviceName)
        {
            WriteKeyValue(1, "service.name"u8, serviceName);
        }
        _writer.EndMessage(resource);
    }

    private void WriteKubernetes(EventValue kubernetes)
    {
        var members = kubernetes.EnumerateMembers();
        while (members.MoveNext())
        {
            var key = members.Key;
            var value = members.Current;
            if (key.SequenceEqual(PodLabelsKey) && value.Kind == EventValueKind.Object)
            {
                WritePrefixed("k8s.pod.label."u8, value);
                continue;
            }
            if (key.SequenceEqual(PodAnnotationsKey) && value.Kind == EventValueKind.Object)
            {
                WritePrefixed("k8s.pod.annotation."u8, value);
                continue;
            }
            var named = false;
            foreach (var (field, attribute) in KubernetesAttributes)
            {
                if (key.SequenceEqual(field))
                {
                    WriteKeyValue(1, attribute, value);
                    named = true;
                    break;
                }
            }
            if (!named)
            {
                // A field the conventions have no name for keeps the enricher's, under the object's.
                WriteKeyValue(1, Concat("kubernetes."u8, key), value);
            }
        }
    }

    private void WritePrefixed(ReadOnlySpan<byte> prefix, EventValue map)
    {
        var members = map.EnumerateMembers();
        while (members.MoveNext())
        {
            WriteKeyValue(1, Concat(prefix, members.Key), members.Current);
        }
    }

    /// <summary>The service field, else a pod annotation or label that names the service, else the container's name; missing when none is there.</summary>
    private static EventValue ServiceName(EventValue root, EventValue kubernetes)
    {
        if (root.TryGetMember(ServiceKey, out var service) && service.Kind == EventValueKind.String)
        {
            return service;
        }
        if (kubernetes.Kind != EventValueKind.Object)
        {
            return EventValue.Missing;
        }
        foreach (var (map, key) in ServiceNameSources)
        {
            if (kubernetes.TryGetMember(map, out var members) && members.TryGetMember(key, out var name) && name.Kind == EventValueKind.String)
            {
                return name;
            }
        }
        return kubernetes.TryGetMember(ContainerNameKey, out var container) && container.Kind == EventValueKind.String ? container : EventValue.Missing;
    }

    private void WriteScope(EventValue root)
    {
        if (!root.TryGetMember(ScopeKey, out var scope) || scope.Kind != EventValueKind.Object)
        {
            return;
        }
        var message = _writer.BeginMessage(1);
        if (scope.TryGetMember("name"u8, out var name) && name.TryGetUtf8(out var nameText))
        {
            _writer.BytesField(1, nameText);
        }
        if (scope.TryGetMember("version"u8, out var version) && version.TryGetUtf8(out var versionText))
        {
            _writer.BytesField(2, versionText);
        }
        if (scope.TryGetMember("attributes"u8, out var attributes) && attributes.Kind == EventValueKind.Object)
        {
            var members = attributes.EnumerateMembers();
            while (members.MoveNext())
            {
                WriteKeyValue(3, members.Key, members.Current);
            }
        }
        _writer.EndMessage(message);
    }
}
