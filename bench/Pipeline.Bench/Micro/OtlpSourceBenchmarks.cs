using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using Pipeline.Events;
using Pipeline.Sources.Otlp;

namespace Pipeline.Bench.Micro;

/// <summary>
/// The otlp source's cost per request of 100 log records as an SDK sends them (a string body, severity, timestamps,
/// three attributes, trace and span ids; a resource of three attributes; a named scope): decoding the protobuf alone,
/// against decoding it and making the events.
/// </summary>
[MemoryDiagnoser]
public class OtlpSourceBenchmarks
{
    private const int Records = 100;

    private readonly OtlpLogEvents _converter = new();
    private readonly List<Event> _events = new(Records);
    private readonly List<ActivityContext> _traces = new(Records);
    private readonly List<int> _positions = new(Records);
    private readonly List<OtlpRecordError> _errors = [];
    private byte[] _request = [];

    [GlobalSetup]
    public void Setup()
    {
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "Shop.Checkout", Version = "1.4.2" } };
        for (var i = 0; i < Records; i++)
        {
            var record = new LogRecord
            {
                TimeUnixNano = 1_700_000_000_000_000_000UL + (ulong)i,
                ObservedTimeUnixNano = 1_700_000_000_000_100_000UL + (ulong)i,
                SeverityNumber = SeverityNumber.Info,
                SeverityText = "Information",
                Body = new AnyValue { StringValue = $"Order {1000 + i} placed by customer 4711 after 3 attempts" },
                TraceId = ByteString.CopyFrom(Convert.FromHexString(ActivityTraceId.CreateRandom().ToHexString())),
                SpanId = ByteString.CopyFrom(Convert.FromHexString(ActivitySpanId.CreateRandom().ToHexString())),
                Flags = 1,
            };
            record.Attributes.Add(new KeyValue { Key = "OrderId", Value = new AnyValue { IntValue = 1000 + i } });
            record.Attributes.Add(new KeyValue { Key = "customer", Value = new AnyValue { StringValue = "4711" } });
            record.Attributes.Add(new KeyValue { Key = "duration_ms", Value = new AnyValue { DoubleValue = 12.5 } });
            scope.LogRecords.Add(record);
        }
        var resource = new Resource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "checkout" } });
        resource.Attributes.Add(new KeyValue { Key = "service.version", Value = new AnyValue { StringValue = "2.3.1" } });
        resource.Attributes.Add(new KeyValue { Key = "host.name", Value = new AnyValue { StringValue = "web-01" } });
        var resourceLogs = new ResourceLogs { Resource = resource };
        resourceLogs.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(resourceLogs);
        _request = request.ToByteArray();
        _converter.Read(request, _events, _traces, _positions, _errors);
        _eventJson = [.. _events.Select(e => e.ToUtf8Json())];
        _events.ForEach(e => e.Release());
        _events.Clear();
        _traces.Clear();
        _positions.Clear();
    }

    private byte[][] _eventJson = [];

    /// <summary>The share of <see cref="Decode_and_make_events"/> that is the events' own parse of the same JSON.</summary>
    [Benchmark]
    public int Parse_the_events_json()
    {
        var total = 0;
        foreach (var json in _eventJson)
        {
            var evt = Event.Parse(json);
            total += evt.EstimatedSize;
            evt.Release();
        }
        return total;
    }

    [Benchmark(Baseline = true)]
    public int Decode_protobuf() => ExportLogsServiceRequest.Parser.ParseFrom(_request).ResourceLogs.Count;

    [Benchmark]
    public int Decode_and_make_events()
    {
        var request = ExportLogsServiceRequest.Parser.ParseFrom(_request);
        _converter.Read(request, _events, _traces, _positions, _errors);
        var count = _events.Count;
        foreach (var evt in _events)
        {
            evt.Release();
        }
        _events.Clear();
        _traces.Clear();
        _positions.Clear();
        return count;
    }
}
