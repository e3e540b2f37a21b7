using System.Diagnostics;
using OpenTelemetry;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

/// <summary>The export queue is bounded and never holds the pipeline up; what it loses is counted.</summary>
public sealed class SpanExportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stuck_then_failing_exporter_never_blocks_the_pipeline_and_every_lost_span_is_counted()
    {
        using var release = new ManualResetEventSlim(false);
        var exporter = new StuckThenFailingExporter(release);
        var pipeline = new ObservedPipeline(exporter: exporter, maxQueueSize: 32);
        try
        {
            await StuckExporterRunAsync(pipeline, exporter, release);
        }
        finally
        {
            // Also when an assertion failed: a stuck exporter would hold the provider's shutdown for its timeout.
            release.Set();
            await pipeline.DisposeAsync();
        }
    }

    private static async Task StuckExporterRunAsync(ObservedPipeline pipeline, StuckThenFailingExporter exporter, ManualResetEventSlim release)
    {
        var source = new ControlledSource();
        var sink = new RecordingSink();
        pipeline
            .Source("in", source)
            .Stage("a", DelegateProcessorFactory.PassThrough, ["in"])
            .Stage("b", DelegateProcessorFactory.PassThrough, ["a"])
            .Sink("out", sink, ["b"]);
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);

        // Every event is sampled and makes four spans, while the exporter hangs on its first batch.
        for (var n = 0; n < 300; n++)
        {
            Assert.True(await context.SendAsync(Event.Parse($$"""{"n":{{n}}}"""), default, Ct));
        }
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);

        Assert.Equal(300, sink.Delivered.Count);
        Assert.True(exporter.Entered.Wait(ObservedPipeline.HangGuard, Ct), "the exporter should have been handed a batch");
        var spans = (TelemetryNames.SignalLabel, TelemetryNames.SpansSignal);
        var droppedWhileStuck = await pipeline.MetricAsync(TelemetryNames.TelemetryDroppedMetric, spans);
        // 300 ingest and 600 hop spans at least; the stuck batch (up to 32) and a full queue (32) hold the rest back:
        // all others were dropped, and counted.
        Assert.True(droppedWhileStuck >= 900 - 32 - 32, $"expected the full queue's drops to be counted, found {droppedWhileStuck}");
        Assert.Equal(0, await pipeline.MetricAsync(TelemetryNames.TelemetryExportedMetric, spans));

        release.Set();
        await pipeline.Topology.StopAsync(ObservedPipeline.HangGuard);
        await pipeline.DisposeAsync();
        // The stuck batch and everything queued behind it failed: lost too, and counted too.
        var failedBatches = exporter.Calls;
        Assert.True(failedBatches >= 1);
        Assert.True(await pipeline.MetricAsync(TelemetryNames.TelemetryDroppedMetric, spans) > droppedWhileStuck);
        Assert.Equal(0, await pipeline.MetricAsync(TelemetryNames.TelemetryExportedMetric, spans));
    }

    [Fact]
    public async Task An_event_without_a_trace_context_keeps_one_trace_id_from_its_logs_to_its_dead_letter_record()
    {
        await using var pipeline = new ObservedPipeline(sampler: "always_off");
        var logger = pipeline.Logger;
        var source = new ControlledSource();
        pipeline
            .Source("in", source)
            .Stage("first", new DelegateProcessorFactory((evt, output, _) =>
            {
                logger.Information("first saw it");
                output.Emit(evt);
                return ValueTask.CompletedTask;
            }), ["in"])
            .Stage("broken", new DelegateProcessorFactory((_, _, _) => throw new PermanentFailureException("no schema for this event")), ["first"])
            .Sink("out", new RecordingSink(), ["broken"]);
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);

        Assert.True(await context.SendAsync(Event.Parse("""{"n":1}"""), default, Ct));
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);

        var record = Assert.Single(pipeline.DeadLetters());
        var traceId = record.GetProperty("trace_id").GetString();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        var seen = Assert.Single(pipeline.Log.Events, l => l.MessageTemplate.Text == "first saw it");
        Assert.Equal(traceId, ((Serilog.Events.ScalarValue)seen.Properties[TelemetryNames.TraceIdProperty]).Value);
        var deadLettered = Assert.Single(pipeline.Log.Events, l => l.RenderMessage().Contains("dead-lettering", StringComparison.Ordinal));
        Assert.Equal(traceId, ((Serilog.Events.ScalarValue)deadLettered.Properties[TelemetryNames.TraceIdProperty]).Value);
    }

    /// <summary>Hangs on its first batch until released, then fails every batch, as an unreachable collector would.</summary>
    private sealed class StuckThenFailingExporter(ManualResetEventSlim release) : BaseExporter<Activity>
    {
        private int _calls;

        public ManualResetEventSlim Entered { get; } = new(false);

        public int Calls => Volatile.Read(ref _calls);

        public override ExportResult Export(in Batch<Activity> batch)
        {
            Interlocked.Increment(ref _calls);
            Entered.Set();
            release.Wait(ObservedPipeline.HangGuard);
            throw new IOException("collector unreachable");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Entered.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
