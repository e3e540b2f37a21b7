using System.Buffers;
using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using Pipeline.Events;
using Pipeline.Sinks.Otlp;

namespace Pipeline.Bench.Micro;

/// <summary>
/// The otlp sink's encoding of a batch of 64 log events (EventBenchmarks' line, four pods): protobuf written straight
/// from the events (what the sink does) against building Google.Protobuf's generated messages and serializing them
/// (the design it replaced), with the http sink's NDJSON of the same batch for scale.
/// </summary>
[MemoryDiagnoser]
public class OtlpEncodingBenchmarks
{
    private const int BatchSize = 64;

    private readonly OtlpLogEncoder _encoder = new(null, TimeProvider.System);
    private readonly ArrayBufferWriter<byte> _json = new(64 * 1024);
    private List<Event> _batch = null!;
    private List<ActivityContext> _traces = null!;

    [GlobalSetup]
    public void Setup()
    {
        _batch = [.. Enumerable.Range(0, BatchSize).Select(i => Event.Parse(Encoding.UTF8.GetBytes(
            $$$"""{"timestamp":"2024-05-01T12:00:00.123Z","host":"web-01","level":"info","service":"checkout","message":"order {{{i}}} placed by user","user":{"id":4711,"name":"ada"},"duration_ms":12.5,"tags":["api","v2"],"kubernetes":{"pod_name":"checkout-{{{i % 4}}}","pod_namespace":"shop"}}""")))];
        _traces = [.. Enumerable.Range(0, BatchSize).Select(_ => new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded))];
    }

    [Benchmark(Baseline = true)]
    public int Generated_messages() => BuildRequest().ToByteArray().Length;

    [Benchmark]
    public int Written_from_the_events() => _encoder.Encode(_batch, _traces).Length;

    [Benchmark]
    public int Ndjson_for_scale()
    {
        _json.ResetWrittenCount();
        foreach (var evt in _batch)
        {
            evt.WriteTo(_json);
            _json.Write("\n"u8);
        }
        return _json.WrittenCount;
    }

    /// <summary>The message-object design: one LogRecord, and a KeyValue, an AnyValue and a string per field, per event; one ResourceLogs per pod.</summary>
    private ExportLogsServiceRequest BuildRequest()
    {
        var request = new ExportLogsServiceRequest();
        var byPod = new Dictionary<string, ScopeLogs>();
        Span<byte> id = stackalloc byte[16];
        for (var i = 0; i < _batch.Count; i++)
        {
            var root = _batch[i].Root;
            root.TryGetMember("kubernetes"u8, out var kubernetes);
            var pod = kubernetes.TryGetMember("pod_name"u8, out var name) ? name.ToString() : "";
            if (!byPod.TryGetValue(pod, out var scope))
            {
                scope = new ScopeLogs();
                var resource = new Resource();
                resource.Attributes.Add(new KeyValue { Key = "k8s.pod.name", Value = new AnyValue { StringValue = pod } });
                request.ResourceLogs.Add(new ResourceLogs { Resource = resource, ScopeLogs = { scope } });
                byPod[pod] = scope;
            }
            var record = new LogRecord { ObservedTimeUnixNano = 1 };
            var members = root.EnumerateMembers();
            while (members.MoveNext())
            {
                var key = Encoding.UTF8.GetString(members.Key);
                switch (key)
                {
                    case "message":
                        record.Body = Value(members.Current);
                        break;
                    case "level":
                        record.SeverityText = members.Current.ToString();
                        record.SeverityNumber = SeverityNumber.Info;
                        break;
                    case "kubernetes" or "host" or "service" or "timestamp":
                        break;
                    default:
                        record.Attributes.Add(new KeyValue { Key = key, Value = Value(members.Current) });
                        break;
                }
            }
            _traces[i].TraceId.CopyTo(id);
            record.TraceId = ByteString.CopyFrom(id);
            _traces[i].SpanId.CopyTo(id[..8]);
            record.SpanId = ByteString.CopyFrom(id[..8]);
            scope.LogRecords.Add(record);
        }
        return request;
    }

    private static AnyValue Value(EventValue value)
    {
        switch (value.Kind)
        {
            case EventValueKind.String:
                return new AnyValue { StringValue = value.ToString() };
            case EventValueKind.Number:
                return value.TryGetInt64(out var integer) ? new AnyValue { IntValue = integer } : new AnyValue { DoubleValue = value.TryGetDouble(out var d) ? d : 0 };
            case EventValueKind.Boolean:
                return new AnyValue { BoolValue = value.TryGetBoolean(out var b) && b };
            case EventValueKind.Object:
                var list = new KeyValueList();
                var members = value.EnumerateMembers();
                while (members.MoveNext())
                {
                    list.Values.Add(new KeyValue { Key = Encoding.UTF8.GetString(members.Key), Value = Value(members.Current) });
                }
                return new AnyValue { KvlistValue = list };
            case EventValueKind.Array:
                var array = new ArrayValue();
                var elements = value.EnumerateMembers();
                while (elements.MoveNext())
                {
                    array.Values.Add(Value(elements.Current));
                }
                return new AnyValue { ArrayValue = array };
            default:
                return new AnyValue();
        }
    }
}
