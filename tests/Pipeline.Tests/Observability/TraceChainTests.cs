using System.Collections.Concurrent;
using System.Diagnostics;
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
            var ingest = Assert.Single(trace, s => s.DisplayName == "in ingest");
            Assert.Equal(incoming.SpanId, ingest.ParentSpanId);
            Assert.Equal(ActivityKind.Producer, ingest.Kind);
            Assert.Equal("in", ingest.GetTagItem(TelemetryNames.SourceAttribute));
            var previous = ingest;
            foreach (var stage in stages)
            {
                var hop = Assert.Single(trace, s => s.DisplayName == $"{stage} process");
                Assert.Equal(previous.SpanId, hop.ParentSpanId);
                Assert.Equal(ActivityKind.Internal, hop.Kind);
                Assert.Equal(stage, hop.GetTagItem(TelemetryNames.StageAttribute));
                Assert.Equal("test_processor", hop.GetTagItem(TelemetryNames.StageTypeAttribute));
                Assert.Equal(pipeline.Name, hop.GetTagItem(TelemetryNames.PipelineNameAttribute));
                Assert.Equal(1, hop.GetTagItem(TelemetryNames.AttemptAttribute));
                Assert.IsType<double>(hop.GetTagItem(TelemetryNames.MailboxWaitAttribute));
                // The isolate the span names is the one that ran the processor, and the span was current while it ran.
                var run = Assert.Single(ran, r => r.Stage == stage && r.N == n);
                Assert.Equal(run.Isolate, hop.GetTagItem(TelemetryNames.IsolateAttribute));
                Assert.Equal(hop.TraceId, run.Trace);
                Assert.Equal(hop.SpanId, run.Span);
                previous = hop;
            }
            Assert.Equal(1 + stages.Length, trace.Count(s => s.DisplayName != "out send"));
            var delivery = Assert.Single(spans, s => s.DisplayName == "out send" && s.Links.Any(l => l.Context.SpanId == previous.SpanId));
            Assert.Equal(previous.TraceId, delivery.Links.Single(l => l.Context.SpanId == previous.SpanId).Context.TraceId);
            if (delivery.TraceId == incoming.TraceId)
            {
                Assert.Equal(previous.SpanId, delivery.ParentSpanId);
            }
        }
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
        var byTrace = spans.Where(s => s.DisplayName != "out send").GroupBy(s => s.TraceId).ToList();
        Assert.Equal(Events, byTrace.Count);
        var lastHops = new HashSet<ActivitySpanId>();
        foreach (var trace in byTrace)
        {
            var ingest = Assert.Single(trace, s => s.DisplayName == "in ingest");
            var a = Assert.Single(trace, s => s.DisplayName == "a process");
            var b = Assert.Single(trace, s => s.DisplayName == "b process");
            var c = Assert.Single(trace, s => s.DisplayName == "c process");
            Assert.Equal(ingest.SpanId, a.ParentSpanId);
            Assert.Equal(a.SpanId, b.ParentSpanId);
            Assert.Equal(b.SpanId, c.ParentSpanId);
            lastHops.Add(c.SpanId);
        }
        // Every event's last hop is linked from exactly one delivery, and a delivery's parent is one of its own links.
        var links = spans.Where(s => s.DisplayName == "out send").SelectMany(s => s.Links.Select(l => l.Context.SpanId)).ToList();
        Assert.Equal(Events, links.Count);
        Assert.True(lastHops.SetEquals(links));
        Assert.All(spans.Where(s => s.DisplayName == "out send"), d => Assert.Contains(d.Links, l => l.Context.SpanId == d.ParentSpanId));
    }
}
