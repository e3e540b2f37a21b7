using System.Diagnostics;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace Pipeline.Bench.Micro;

/// <summary>
/// Log lines per second with trace enrichment active: an Activity is current, an enricher adds trace_id/span_id as
/// the isolate's does, and the line carries pipeline.stage/pipeline.isolate and two template properties. One
/// operation is one line written (formatted to a discarded stream, as the console sink would write stdout).
/// </summary>
[MemoryDiagnoser]
public class LoggingBenchmarks
{
    private Activity _activity = null!;
    private Logger _expressionLogger = null!;
    private Logger _compactLogger = null!;
    private ILogger _expressionIsolateLogger = null!;
    private ILogger _compactIsolateLogger = null!;
    private DiscardingSink _expressionSink = null!;
    private LogEvent _ecsEvent = null!;
    private readonly LogServiceIdentity _service = new("pipeline", "0.1.0", "bench", "bench-host");

    [GlobalSetup]
    public void Setup()
    {
        _activity = new Activity("stage process").SetIdFormat(ActivityIdFormat.W3C).Start();
        _expressionSink = new DiscardingSink(JsonLogFormat.Create());
        _expressionLogger = NewLogger(_expressionSink);
        _compactLogger = NewLogger(new DiscardingSink(new CompactJsonFormatter()));
        _expressionIsolateLogger = ForIsolate(_expressionLogger);
        _compactIsolateLogger = ForIsolate(_compactLogger);
        Json_line_with_trace();
        _ecsEvent = _expressionSink.Last!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // The numbers only mean something if every line really was enriched.
        if (_expressionSink.Untraced > 0)
        {
            throw new InvalidOperationException($"{_expressionSink.Untraced} lines were written without a trace id");
        }
        _expressionLogger.Dispose();
        _compactLogger.Dispose();
        _activity.Dispose();
    }

    /// <summary>The service's stdout format (Serilog.Expressions template), the line as the runtime writes it.</summary>
    [Benchmark(Baseline = true)]
    public void Json_line_with_trace()
        => _expressionIsolateLogger.Information("Stage {StageId} retried delivery {Attempt}", "parse", 2);

    /// <summary>The same line with Serilog.Formatting.Compact's CompactJsonFormatter, the other library candidate.</summary>
    [Benchmark]
    public void Compact_json_line_with_trace()
        => _compactIsolateLogger.Information("Stage {StageId} retried delivery {Attempt}", "parse", 2);

    /// <summary>A Debug line while the level is Information: what a disabled line costs a processor.</summary>
    [Benchmark]
    public void Filtered_out_debug_line()
        => _expressionIsolateLogger.Debug("Stage {StageId} retried delivery {Attempt}", "parse", 2);

    /// <summary>The Elasticsearch shipper's per-event work: the ECS document, serialized.</summary>
    [Benchmark]
    public int Ecs_document_serialized()
        => JsonSerializer.SerializeToUtf8Bytes(EcsLogDocument.Create(_ecsEvent, _service)).Length;

    private static Logger NewLogger(ILogEventSink sink) => new LoggerConfiguration()
        .MinimumLevel.Information()
        .Enrich.FromLogContext()
        .Enrich.With(new ActivityTraceEnricher())
        .WriteTo.Sink(sink)
        .CreateLogger();

    private static ILogger ForIsolate(ILogger logger)
        => logger.ForContext(TelemetryNames.StageProperty, "parse").ForContext(TelemetryNames.IsolateProperty, 1);

    /// <summary>A stand-in for the isolate's enricher (which lands separately): trace_id/span_id from Activity.Current.</summary>
    private sealed class ActivityTraceEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
        {
            if (Activity.Current is { } activity)
            {
                logEvent.AddPropertyIfAbsent(new LogEventProperty(TelemetryNames.TraceIdProperty, new ScalarValue(activity.TraceId.ToHexString())));
                logEvent.AddPropertyIfAbsent(new LogEventProperty(TelemetryNames.SpanIdProperty, new ScalarValue(activity.SpanId.ToHexString())));
            }
        }
    }

    /// <summary>Formats each line into a writer over Stream.Null, under a lock, as the console sink does.</summary>
    private sealed class DiscardingSink(ITextFormatter format) : ILogEventSink
    {
        private readonly StreamWriter _output = new(Stream.Null);
        private readonly Lock _lock = new();

        public LogEvent? Last { get; private set; }

        public long Untraced { get; private set; }

        public void Emit(LogEvent logEvent)
        {
            lock (_lock)
            {
                format.Format(logEvent, _output);
                Last = logEvent;
                if (!logEvent.Properties.ContainsKey(TelemetryNames.TraceIdProperty))
                {
                    Untraced++;
                }
            }
        }
    }
}
