using System.Collections.Concurrent;
using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

/// <summary>Spans of sampled events: one unbroken chain per event, ingest to sink, and nothing shared between events.</summary>
public sealed class TraceChainTests
{
    private static readonly FieldPath N = FieldPath.Parse(".n");
    private static readonly FieldPath Trace = FieldPath.Parse(".trace");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_event_with_a_traceparent_makes_one_unbroken_chain_of_spans_in_hop_order_across_isolates()
    {
        var ran = new ConcurrentQueue<(string Stage, int Isolate, long N, ActivityTraceId Trace, ActivitySpanId Span)>();
        DelegateProcessorFactory Recording(string stage) => new((evt, output, isolate) =>
        {
            Assert.True(evt.Get(N).TryGetInt64(out var n));
            var current = Activity.Current;
            ran.Enqueue((stage, isolate, n, current?.TraceId ?? default, current?.SpanId ?? default));
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var source = new ControlledSource();
        string[] stages = ["s1", "s2", "s3", "s4"];
        await using var pipeline = new ObservedPipeline()
            .Source("in", source)
            .Stage("s1", Recording("s1"), ["in"])
            .Stage("s2", Recording("s2"), ["s1"])
            .Stage("s3", Recording("s3"), ["s2"])
            .Stage("s4", Recording("s4"), ["s3"])
            .Sink("out", new RecordingSink(), ["s4"]);
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);

        // Three events, so that round-robin routing over the two isolates of every stage sends them through both.
        for (var n = 0; n < 3; n++)
        {
            Assert.True(await context.SendAsync(Event.Parse($$"""{"n":{{n}}}"""), Traceparents.Remote(n, sampled: true), Ct));
        }
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var spans = await pipeline.StopAndCollectSpansAsync();

        Assert.Contains(ran, r => r.Isolate == 0);
        Assert.Contains(ran, r => r.Isolate == 1);
        for (var n = 0; n < 3; n++)
        {
            var incoming = Traceparents.Remote(n, sampled: true);
            var trace = spans.Where(s => s.TraceId == incoming.TraceId).ToList();
            var ingest = Assert.Single(trace, s => s.DisplayName == "receive in");
            Assert.Equal(incoming.SpanId, ingest.ParentSpanId);
            Assert.Equal(ActivityKind.Producer, ingest.Kind);
            Assert.Equal("in", ingest.GetTagItem(TelemetryNames.SourceAttribute));
            Assert.Equal("receive", ingest.GetTagItem(TelemetryNames.MessagingOperationTypeAttribute));
            Assert.Equal("in", ingest.GetTagItem(TelemetryNames.MessagingDestinationNameAttribute));
            var previous = ingest;
            foreach (var stage in stages)
            {
                var hop = Assert.Single(trace, s => s.DisplayName == $"process {stage}");
                Assert.Equal(previous.SpanId, hop.ParentSpanId);
                Assert.Equal(ActivityKind.Internal, hop.Kind);
                Assert.Equal(stage, hop.GetTagItem(TelemetryNames.StageAttribute));
                Assert.Equal("test_processor", hop.GetTagItem(TelemetryNames.StageTypeAttribute));
                Assert.Equal(pipeline.Name, hop.GetTagItem(TelemetryNames.PipelineNameAttribute));
                Assert.Equal("process", hop.GetTagItem(TelemetryNames.MessagingOperationTypeAttribute));
                Assert.Equal(stage, hop.GetTagItem(TelemetryNames.MessagingDestinationNameAttribute));
                Assert.Equal(1, hop.GetTagItem(TelemetryNames.AttemptAttribute));
                // Seconds, as every duration the pipeline records.
                var waited = Assert.IsType<double>(hop.GetTagItem(TelemetryNames.MailboxWaitAttribute));
                Assert.InRange(waited, 0, ObservedPipeline.HangGuard.TotalSeconds);
                // The isolate the span names is the one that ran the processor, and the span was current while it ran.
                var run = Assert.Single(ran, r => r.Stage == stage && r.N == n);
                Assert.Equal(run.Isolate, hop.GetTagItem(TelemetryNames.IsolateAttribute));
                Assert.Equal(hop.TraceId, run.Trace);
                Assert.Equal(hop.SpanId, run.Span);
                previous = hop;
            }
            // The trace ends in the event's own send span, the child of its last hop.
            var send = Assert.Single(trace, s => s.DisplayName == "send out" && s.Kind == ActivityKind.Producer);
            Assert.Equal(previous.SpanId, send.ParentSpanId);
            Assert.Equal("out", send.GetTagItem(TelemetryNames.StageAttribute));
            Assert.Equal("send", send.GetTagItem(TelemetryNames.MessagingOperationTypeAttribute));
            Assert.NotNull(send.GetTagItem(TelemetryNames.IsolateAttribute));
            // The batch that delivered it links to that span.
            var delivery = Assert.Single(spans, s => IsBatch(s) && s.Links.Any(l => l.Context.SpanId == send.SpanId));
            Assert.Equal(ActivityKind.Internal, delivery.Kind);
            Assert.Contains(delivery.Links, l => l.Context.SpanId == delivery.ParentSpanId);
            Assert.Equal(delivery.Links.Count(), delivery.GetTagItem(TelemetryNames.MessagingBatchMessageCountAttribute));
        }
    }

    [Fact]
    public async Task Every_sampled_event_of_a_batching_sink_ends_in_its_own_send_span_under_its_last_hop()
    {
        const int Events = 40;
        using var allSent = new SemaphoreSlim(0);
        var firstWrite = 0;
        // The first delivery waits until every event is in the sink's mailbox, so the ones after it are full batches.
        var sink = new RecordingSink
        {
            BeforeWrite = async (_, _) =>
            {
                if (Interlocked.Exchange(ref firstWrite, 1) == 0)
                {
                    await allSent.WaitAsync(ObservedPipeline.HangGuard, Ct);
                }
            },
        };
        var source = new ControlledSource();
        await using var pipeline = new ObservedPipeline()
            .Source("in", source)
            .Stage("a", DelegateProcessorFactory.PassThrough, ["in"])
            .Stage("b", DelegateProcessorFactory.PassThrough, ["a"])
            .Sink("out", sink, ["b"], TestPipeline.Settings(isolates: 1, mailbox: Events, batchSize: 8));
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);

        for (var n = 0; n < Events; n++)
        {
            Assert.True(await context.SendAsync(Event.Parse($$"""{"n":{{n}}}"""), Traceparents.Remote(n, sampled: true), Ct));
        }
        allSent.Release();
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var spans = await pipeline.StopAndCollectSpansAsync();

        Assert.Equal(Events, sink.Delivered.Count);
        var batches = spans.Where(IsBatch).ToList();
        Assert.Contains(batches, b => (int)b.GetTagItem(TelemetryNames.MessagingBatchMessageCountAttribute)! > 1);
        var linked = batches.SelectMany(b => b.Links.Select(l => l.Context.SpanId)).ToList();
        for (var n = 0; n < Events; n++)
        {
            var trace = spans.Where(s => s.TraceId == Traceparents.Remote(n, sampled: true).TraceId).ToList();
            var lastHop = Assert.Single(trace, s => s.DisplayName == "process b");
            var send = Assert.Single(trace, s => s.DisplayName == "send out" && s.Kind == ActivityKind.Producer);
            Assert.Equal(lastHop.SpanId, send.ParentSpanId);
            Assert.Equal(ActivityStatusCode.Unset, send.Status);
            Assert.Single(linked, id => id == send.SpanId);
        }
        Assert.Equal(Events, linked.Count);
    }

    [Fact]
    public async Task A_sink_crash_fails_the_delivery_spans_of_that_attempt_and_the_retry_makes_new_ones()
    {
        var crashed = 0;
        var sink = new RecordingSink
        {
            BeforeWrite = (_, _) => Interlocked.Exchange(ref crashed, 1) == 0
                ? throw new InstanceCorruptedException("state broken by the test")
                : ValueTask.CompletedTask,
        };
        var source = new ControlledSource();
        await using var pipeline = new ObservedPipeline()
            .Source("in", source)
            .Sink("out", sink, ["in"], TestPipeline.Settings(batchSize: 1));
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var incoming = Traceparents.Remote(77, sampled: true);
        Assert.True(await context.SendAsync(Event.Parse("""{"n":1}"""), incoming, Ct));
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var spans = await pipeline.StopAndCollectSpansAsync();

        Assert.Single(sink.Delivered);
        var sends = spans.Where(s => s.TraceId == incoming.TraceId && s.DisplayName == "send out" && s.Kind == ActivityKind.Producer).ToList();
        Assert.Equal(2, sends.Count);
        var failed = Assert.Single(sends, s => s.Status == ActivityStatusCode.Error);
        Assert.Equal(typeof(InstanceCorruptedException).FullName, failed.GetTagItem(TelemetryNames.ErrorTypeAttribute));
        var failedBatch = Assert.Single(spans, s => IsBatch(s) && s.ParentSpanId == failed.SpanId);
        Assert.Contains(failedBatch.Events, e => e.Name == "exception");
        Assert.Single(sends, s => s.Status == ActivityStatusCode.Unset && s.GetTagItem(TelemetryNames.ErrorTypeAttribute) is null);
    }

    [Fact]
    public async Task A_thousand_concurrent_events_never_share_a_span_or_see_each_others_context()
    {
        const int Events = 1000;
        var bleeding = new ConcurrentQueue<string>();
        DelegateProcessorFactory Checking(string stage) => new(async (evt, output, isolate) =>
        {
            Assert.True(evt.Get(Trace).TryGetString(out var expected));
            Check(stage, isolate, expected, "before an await");
            // Continuations of many events interleave on the same isolates: the context must follow each event.
            await Task.Yield();
            Check(stage, isolate, expected, "after an await");
            output.Emit(evt);
        });
        void Check(string stage, int isolate, string expected, string when)
        {
            var current = Activity.Current?.TraceId.ToHexString();
            if (current != expected)
            {
                bleeding.Enqueue($"{stage}/{isolate} {when}: expected trace {expected}, Activity.Current had {current ?? "none"}");
            }
        }
        var source = new ControlledSource();
        var small = TestPipeline.Settings(isolates: 2, mailbox: 8, batchSize: 4);
        await using var pipeline = new ObservedPipeline()
            .Source("in", source)
            .Stage("a", Checking("a"), ["in"], small)
            .Stage("b", Checking("b"), ["a"], small)
            .Stage("c", Checking("c"), ["b"], small)
            .Sink("out", new RecordingSink(), ["c"], TestPipeline.Settings(isolates: 2, batchSize: 16));
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);

        var senders = Enumerable.Range(0, 8).Select(sender => Task.Run(async () =>
        {
            for (var n = sender; n < Events; n += 8)
            {
                var incoming = Traceparents.Remote(n, sampled: true);
                var evt = Event.Parse($$"""{"n":{{n}},"trace":"{{incoming.TraceId.ToHexString()}}"}""");
                Assert.True(await context.SendAsync(evt, incoming, Ct));
            }
        }, Ct));
        await Task.WhenAll(senders).WaitAsync(ObservedPipeline.HangGuard, Ct);
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var spans = await pipeline.StopAndCollectSpansAsync();

        Assert.Empty(bleeding);
        var bySpanId = spans.ToDictionary(s => s.SpanId);
        foreach (var span in spans)
        {
            if (bySpanId.TryGetValue(span.ParentSpanId, out var parent))
            {
                Assert.Equal(parent.TraceId, span.TraceId);
            }
        }
        var byTrace = spans.Where(s => !IsBatch(s)).GroupBy(s => s.TraceId).ToList();
        Assert.Equal(Events, byTrace.Count);
        var sends = new HashSet<ActivitySpanId>();
        foreach (var trace in byTrace)
        {
            var ingest = Assert.Single(trace, s => s.DisplayName == "receive in");
            var a = Assert.Single(trace, s => s.DisplayName == "process a");
            var b = Assert.Single(trace, s => s.DisplayName == "process b");
            var c = Assert.Single(trace, s => s.DisplayName == "process c");
            var send = Assert.Single(trace, s => s.DisplayName == "send out");
            Assert.Equal(ingest.SpanId, a.ParentSpanId);
            Assert.Equal(a.SpanId, b.ParentSpanId);
            Assert.Equal(b.SpanId, c.ParentSpanId);
            Assert.Equal(c.SpanId, send.ParentSpanId);
            sends.Add(send.SpanId);
        }
        // Every event's send span is linked from exactly one batch delivery, and a batch's parent is one of its links.
        var links = spans.Where(IsBatch).SelectMany(s => s.Links.Select(l => l.Context.SpanId)).ToList();
        Assert.Equal(Events, links.Count);
        Assert.True(sends.SetEquals(links));
        Assert.All(spans.Where(IsBatch), d => Assert.Contains(d.Links, l => l.Context.SpanId == d.ParentSpanId));
    }

    /// <summary>A sink's batch span (as opposed to its per-event send spans) is the one with a message count.</summary>
    private static bool IsBatch(Activity span) => span.GetTagItem(TelemetryNames.MessagingBatchMessageCountAttribute) is not null;
}
