using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

/// <summary>
/// <see cref="Components.ISourceContext.SendAllAsync"/>: the batch send of the runtime hands every event on in order,
/// waits on a full mailbox instead of losing anything, gives each sampled event its own ingest span, and counts
/// what it handed on exactly as per-event sends would.
/// </summary>
public sealed class SendAllTests
{
    private static readonly FieldPath N = FieldPath.Parse(".n");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_larger_than_the_mailbox_arrives_whole_in_order_with_one_ingest_span_per_event_and_exact_counters()
    {
        const int Events = 300;
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new ObservedPipeline()
            .Source("in", source)
            // A mailbox of 8 and batches of 4: the send must wait for room many times within one call.
            .Sink("out", sink, ["in"], new IsolatePoolSettings { Mailbox = 8, BatchSize = 4 });
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var events = Enumerable.Range(0, Events).Select(n => Event.Parse($$"""{"n":{{n}}}""")).ToArray();

        var sent = await context.SendAllAsync(events, Ct).AsTask().WaitAsync(ObservedPipeline.HangGuard, Ct);
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);

        Assert.Equal(Events, sent);
        Assert.Equal(Enumerable.Range(0, Events).Select(n => $$"""{"n":{{n}}}"""), sink.Delivered);
        Assert.Equal(Events, await pipeline.MetricAsync("pipeline_component_sent_events_total", (TelemetryNames.ComponentIdLabel, "in")));
        Assert.Equal(Events, await pipeline.MetricAsync("pipeline_component_received_events_total", (TelemetryNames.ComponentIdLabel, "in")));
        Assert.Equal(Events, await pipeline.MetricAsync("pipeline_edge_events_total", (TelemetryNames.EdgeSourceLabel, "in"), (TelemetryNames.EdgeTargetLabel, "out")));
        var spans = await pipeline.StopAndCollectSpansAsync();
        var ingest = spans.Where(s => s.DisplayName == "receive in").ToList();
        Assert.Equal(Events, ingest.Count);
        Assert.Equal(Events, ingest.Select(s => s.TraceId).Distinct().Count());
    }

    [Fact]
    public async Task Unsampled_events_are_handed_on_without_spans_and_counted_once_per_call()
    {
        const int Events = 1000;
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new ObservedPipeline(sampler: "always_off")
            .Source("in", source)
            .Sink("out", sink, ["in"], new IsolatePoolSettings { Mailbox = 16, BatchSize = 4 });
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var events = Enumerable.Range(0, Events).Select(n => Event.Parse($$"""{"n":{{n}}}""")).ToArray();

        Assert.Equal(600, await context.SendAllAsync(events.AsMemory(0, 600), Ct));
        Assert.Equal(Events - 600, await context.SendAllAsync(events.AsMemory(600), Ct));
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);

        Assert.Equal(Events, sink.Delivered.Count);
        Assert.Equal(Enumerable.Range(0, Events).Select(n => (long)n), sink.Delivered.Select(d => Event.Parse(d).Get(N).TryGetInt64(out var n) ? n : -1));
        Assert.Equal(Events, await pipeline.MetricAsync("pipeline_component_sent_events_total", (TelemetryNames.ComponentIdLabel, "in")));
        Assert.DoesNotContain(await pipeline.StopAndCollectSpansAsync(), s => s.DisplayName == "receive in");
    }
}
