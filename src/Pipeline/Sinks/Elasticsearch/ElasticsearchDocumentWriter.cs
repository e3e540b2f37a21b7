using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pipeline.Events;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// Writes one event as an Elasticsearch document (one line of a <c>_bulk</c> body, without its newline), in the
/// sink's <see cref="ElasticsearchDocumentEncoding"/>. Straight from the event's own JSON writer into a reused
/// buffer: no document object per event. One per sink isolate; not thread-safe.
/// </summary>
internal sealed class ElasticsearchDocumentWriter(ElasticsearchDocumentEncoding encoding, TimeProvider time)
{
    private static readonly FieldPath AtTimestamp = FieldPath.Parse(".\"@timestamp\"");
    private static readonly FieldPath Timestamp = FieldPath.Parse(".timestamp");
    private static readonly FieldPath Message = FieldPath.Parse(".message");
    private static readonly FieldPath Level = FieldPath.Parse(".level");
    private static readonly FieldPath SeverityText = FieldPath.Parse(".severity_text");
    private static readonly FieldPath Service = FieldPath.Parse(".service");
    private static readonly FieldPath ResourceServiceName = FieldPath.Parse(".resources.\"service.name\"");
    private static readonly FieldPath Host = FieldPath.Parse(".host");
    private static readonly FieldPath Kubernetes = FieldPath.Parse(".kubernetes");
    private static readonly FieldPath Log = FieldPath.Parse(".log");
    private static readonly FieldPath Trace = FieldPath.Parse(".trace");
    private static readonly FieldPath Span = FieldPath.Parse(".span");
    private static readonly FieldPath Container = FieldPath.Parse(".container");

    // The kubernetes enricher's fields (Vector's kubernetes_logs names), moved to ECS's kubernetes.* names.
    private static readonly FieldPath PodName = FieldPath.Parse(".kubernetes.pod_name");
    private static readonly FieldPath PodUid = FieldPath.Parse(".kubernetes.pod_uid");
    private static readonly FieldPath PodNamespace = FieldPath.Parse(".kubernetes.pod_namespace");
    private static readonly FieldPath PodNodeName = FieldPath.Parse(".kubernetes.pod_node_name");
    private static readonly FieldPath ContainerName = FieldPath.Parse(".kubernetes.container_name");
    private static readonly FieldPath PodLabels = FieldPath.Parse(".kubernetes.pod_labels");
    private static readonly FieldPath PodAnnotations = FieldPath.Parse(".kubernetes.pod_annotations");
    private static readonly FieldPath KubernetesContainerId = FieldPath.Parse(".kubernetes.container_id");

    private static readonly byte[] AtTimestampKey = "@timestamp"u8.ToArray();
    private static readonly byte[] TimestampKey = "timestamp"u8.ToArray();
    private static readonly byte[] MessageKey = "message"u8.ToArray();
    private static readonly byte[] LevelKey = "level"u8.ToArray();
    private static readonly byte[] SeverityTextKey = "severity_text"u8.ToArray();
    private static readonly byte[] ServiceKey = "service"u8.ToArray();
    private static readonly byte[] HostKey = "host"u8.ToArray();
    private static readonly byte[] KubernetesKey = "kubernetes"u8.ToArray();

    private static readonly SearchValues<byte> KeyBytesToEscape = SearchValues.Create([.. Enumerable.Range(0, 32).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private readonly ArrayBufferWriter<byte> _event = new(4096);
    private readonly byte[][] _consumed = new byte[8][];

    public void Write(Event evt, ActivityContext trace, ArrayBufferWriter<byte> destination)
    {
        if (encoding == ElasticsearchDocumentEncoding.Ecs)
        {
            WriteEcs(evt, trace, destination);
            return;
        }
        if (!evt.Get(AtTimestamp).IsMissing)
        {
            evt.WriteTo(destination);
            return;
        }
        // Vector moves timestamp to @timestamp in data stream mode; copying it instead keeps the event's own field
        // for whoever queries it by that name, and the event's pristine JSON is then copied whole (no re-serializing).
        _event.ResetWrittenCount();
        evt.WriteTo(_event);
        var json = _event.WrittenSpan;
        destination.Write("{\"@timestamp\":"u8);
        WriteTimestamp(evt.Get(Timestamp), destination);
        if (json.Length > 2)
        {
            destination.Write(","u8);
            destination.Write(json[1..]);
        }
        else
        {
            destination.Write("}"u8);
        }
    }

    /// <summary>Writes the ECS @timestamp: the event's @timestamp, else its timestamp.</summary>
    private void WriteTimestamp(Event evt, ArrayBufferWriter<byte> destination)
    {
        var timestamp = evt.Get(AtTimestamp);
        WriteTimestamp(timestamp.Kind is EventValueKind.Missing or EventValueKind.Null ? evt.Get(Timestamp) : timestamp, destination);
    }

    /// <summary>Writes <paramref name="timestamp"/> as it is, or the time of sending when it is no time at all.</summary>
    private void WriteTimestamp(EventValue timestamp, ArrayBufferWriter<byte> destination)
    {
        if (timestamp.Kind is EventValueKind.String or EventValueKind.Number)
        {
            Event.WriteJson(timestamp, destination);
            return;
        }
        // No time of its own: when it is shipped is the nearest known, and a data stream refuses a document without one.
        var span = destination.GetSpan(40);
        span[0] = (byte)'"';
        time.GetUtcNow().UtcDateTime.TryFormat(span[1..], out var written, "O", System.Globalization.CultureInfo.InvariantCulture);
        span[written + 1] = (byte)'"';
        destination.Advance(written + 2);
    }

    private void WriteEcs(Event evt, ActivityContext trace, ArrayBufferWriter<byte> destination)
    {
        var consumed = 0;
        _consumed[consumed++] = AtTimestampKey;
        _consumed[consumed++] = TimestampKey;
        destination.Write("{\"@timestamp\":"u8);
        WriteTimestamp(evt, destination);

        var message = evt.Get(Message);
        if (!message.IsMissing)
        {
            _consumed[consumed++] = MessageKey;
            destination.Write(",\"message\":"u8);
            Event.WriteJson(message, destination);
        }
        // An event that has ECS's object already (a log, trace, span or container field) keeps its own, as it is.
        var level = evt.Get(Level);
        var levelKey = LevelKey;
        if (level.Kind is not EventValueKind.String)
        {
            level = evt.Get(SeverityText);
            levelKey = SeverityTextKey;
        }
        if (level.Kind is EventValueKind.String && !evt.Exists(Log))
        {
            _consumed[consumed++] = levelKey;
            destination.Write(",\"log\":{\"level\":"u8);
            Event.WriteJson(level, destination);
            destination.Write("}"u8);
        }
        if (trace.TraceId != default && !evt.Exists(Trace))
        {
            destination.Write(",\"trace\":{\"id\":\""u8);
            WriteHex(trace.TraceId, destination);
            destination.Write("\"}"u8);
        }
        if (trace.SpanId != default && !evt.Exists(Span))
        {
            destination.Write(",\"span\":{\"id\":\""u8);
            WriteHex(trace.SpanId, destination);
            destination.Write("\"}"u8);
        }
        var service = evt.Get(Service);
        if (service.Kind is EventValueKind.String)
        {
            _consumed[consumed++] = ServiceKey;
        }
        else if (!service.IsMissing)
        {
            service = EventValue.Missing;
        }
        else
        {
            service = evt.Get(ResourceServiceName);
        }
        if (service.Kind is EventValueKind.String)
        {
            destination.Write(",\"service\":{\"name\":"u8);
            Event.WriteJson(service, destination);
            destination.Write("}"u8);
        }
        var host = evt.Get(Host);
        if (host.Kind is EventValueKind.String)
        {
            _consumed[consumed++] = HostKey;
            destination.Write(",\"host\":{\"name\":"u8);
            Event.WriteJson(host, destination);
            destination.Write("}"u8);
        }
        if (evt.Get(Kubernetes).Kind is EventValueKind.Object)
        {
            _consumed[consumed++] = KubernetesKey;
            WriteKubernetes(evt, destination);
            var containerId = evt.Get(KubernetesContainerId);
            if (!containerId.IsMissing && !evt.Exists(Container))
            {
                destination.Write(",\"container\":{\"id\":"u8);
                Event.WriteJson(containerId, destination);
                destination.Write("}"u8);
            }
        }
        WriteFieldsExcept(evt, _consumed.AsSpan(0, consumed), destination);
        destination.Write("}"u8);
    }

    /// <summary>Writes each top-level field whose key is none of <paramref name="consumed"/> as <c>,"key":value</c>.</summary>
    private static void WriteFieldsExcept(Event evt, ReadOnlySpan<byte[]> consumed, ArrayBufferWriter<byte> destination)
    {
        var members = evt.Root.EnumerateMembers();
        while (members.MoveNext())
        {
            var key = members.Key;
            if (IsAnyOf(key, consumed))
            {
                continue;
            }
            destination.Write(","u8);
            WriteKey(key, destination);
            Event.WriteJson(members.Current, destination);
        }
    }

    private static bool IsAnyOf(ReadOnlySpan<byte> key, ReadOnlySpan<byte[]> keys)
    {
        foreach (var candidate in keys)
        {
            if (key.SequenceEqual(candidate))
            {
                return true;
            }
        }
        return false;
    }

    private static void WriteKey(ReadOnlySpan<byte> key, ArrayBufferWriter<byte> destination)
    {
        destination.Write("\""u8);
        if (key.ContainsAny(KeyBytesToEscape))
        {
            // Rare (a key with a quote, a backslash or a control character): the encoder's allocation is fine here.
            destination.Write(JsonEncodedText.Encode(key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);
        }
        else
        {
            destination.Write(key);
        }
        destination.Write("\":"u8);
    }

    private static void WriteKubernetes(Event evt, ArrayBufferWriter<byte> destination)
    {
        destination.Write(",\"kubernetes\":{"u8);
        var comma = false;
        var podName = evt.Get(PodName);
        var podUid = evt.Get(PodUid);
        if (!podName.IsMissing || !podUid.IsMissing)
        {
            destination.Write("\"pod\":{"u8);
            var inner = false;
            WriteMember(destination, ref inner, "\"name\":"u8, podName);
            WriteMember(destination, ref inner, "\"uid\":"u8, podUid);
            destination.Write("}"u8);
            comma = true;
        }
        WriteMember(destination, ref comma, "\"namespace\":"u8, evt.Get(PodNamespace));
        WriteNamed(destination, ref comma, "\"node\":{\"name\":"u8, evt.Get(PodNodeName));
        WriteNamed(destination, ref comma, "\"container\":{\"name\":"u8, evt.Get(ContainerName));
        WriteMember(destination, ref comma, "\"labels\":"u8, evt.Get(PodLabels));
        WriteMember(destination, ref comma, "\"annotations\":"u8, evt.Get(PodAnnotations));
        destination.Write("}"u8);
    }

    private static void WriteMember(ArrayBufferWriter<byte> destination, ref bool comma, ReadOnlySpan<byte> key, EventValue value)
    {
        if (value.IsMissing)
        {
            return;
        }
        if (comma)
        {
            destination.Write(","u8);
        }
        destination.Write(key);
        Event.WriteJson(value, destination);
        comma = true;
    }

    /// <summary>As <see cref="WriteMember"/> for a key that opens an object of one member, which it closes.</summary>
    private static void WriteNamed(ArrayBufferWriter<byte> destination, ref bool comma, ReadOnlySpan<byte> keyAndName, EventValue value)
    {
        if (!value.IsMissing)
        {
            WriteMember(destination, ref comma, keyAndName, value);
            destination.Write("}"u8);
        }
    }

    private static void WriteHex(ActivityTraceId id, ArrayBufferWriter<byte> destination)
    {
        Span<byte> raw = stackalloc byte[16];
        id.CopyTo(raw);
        Convert.TryToHexStringLower(raw, destination.GetSpan(32), out _);
        destination.Advance(32);
    }

    private static void WriteHex(ActivitySpanId id, ArrayBufferWriter<byte> destination)
    {
        Span<byte> raw = stackalloc byte[8];
        id.CopyTo(raw);
        Convert.TryToHexStringLower(raw, destination.GetSpan(16), out _);
        destination.Advance(16);
    }
}
