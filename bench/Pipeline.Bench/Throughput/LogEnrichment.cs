using System.Diagnostics;
using System.Globalization;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// Log lines per second through the service's own JSON line format (<see cref="JsonLogFormat"/>), without the trace enricher, and with it for a sampled event (its
/// span current) and for an unsampled one (ids from the isolate's event, a trace id made from its compact form).
/// The formatted line goes to a reused buffer: what is measured is the logging pipeline, not a terminal.
/// </summary>
internal static class LogEnrichment
{
    public static void Run(int lines)
    {
        Measure("plain", lines, enrich: false, sampled: false);
        Measure("enriched_sampled", lines, enrich: true, sampled: true);
        Measure("enriched_unsampled", lines, enrich: true, sampled: false);
    }

    private static void Measure(string name, int lines, bool enrich, bool sampled)
    {
        var sink = new FormattingSink();
        var configuration = new LoggerConfiguration().MinimumLevel.Information();
        if (enrich)
        {
            configuration = configuration.Enrich.With<ActivityEnricher>();
        }
        using var logger = configuration.WriteTo.Sink(sink).CreateLogger();
        using var source = new ActivitySource("Pipeline.Bench.Logs");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var isolate = new IsolateLogContext("bench_stage", 0, new OneEvent(CompactTraceId.CreateRandom()));
        isolate.Enter();
        using var span = sampled ? source.StartActivity("bench_stage process") : null;

        for (var i = 0; i < lines / 10; i++)
        {
            logger.Information("handled event {Seq} in {Stage}", i, "bench_stage"); // warm-up
        }
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < lines; i++)
        {
            logger.Information("handled event {Seq} in {Stage}", i, "bench_stage");
        }
        clock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"logs mode={name} lines={lines} lines_per_s={lines / clock.Elapsed.TotalSeconds:N0} bytes_per_line={sink.LastLength}"));
    }

    private sealed class FormattingSink : ILogEventSink
    {
        private readonly ITextFormatter _formatter = JsonLogFormat.Create();
        private readonly StringWriter _buffer = new(CultureInfo.InvariantCulture);

        public int LastLength { get; private set; }

        public void Emit(LogEvent logEvent)
        {
            _buffer.GetStringBuilder().Clear();
            _formatter.Format(logEvent, _buffer);
            LastLength = _buffer.GetStringBuilder().Length;
        }
    }

    private sealed class OneEvent(CompactTraceId traceId) : IHandledEventTrace
    {
        public bool TryGetHandledTrace(out ActivityContext context, out CompactTraceId newTraceId)
        {
            context = default;
            newTraceId = traceId;
            return true;
        }
    }
}
