using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// a) Traces: the 200 events with their own sampled traceparents went through 4 stages of 2+ isolates and a
/// batching http sink. In the real OTLP receiver each trace must hold its ingest span, every hop in order, and its
/// own delivery span, a child of its last hop.
/// </summary>
[Collection(ObservedStackCollection.Name)]
public sealed class TraceScenarioTests(ObservedStack stack)
{
    private static readonly string[] Hops = ["keep", "scrub", "wait", "by_level"];

    [Fact]
    public async Task Every_traced_event_has_ingest_every_hop_and_its_own_delivery_in_order()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var expected = stack.TracedEvents.ToHashSet(StringComparer.Ordinal);

        // The sink delivers in batches and the exporter sends every 200 ms; wait until every trace has its delivery span.
        var spans = await Poll.LastAsync(stack.Receiver.SpansAsync,
            all => all.Where(s => s.Name == "send out" && s.Kind == ReceivedSpan.Producer && expected.Contains(s.TraceId)).Select(s => s.TraceId).Distinct().Count() == expected.Count,
            TimeSpan.FromSeconds(60));

        var byTrace = spans.Where(s => expected.Contains(s.TraceId)).GroupBy(s => s.TraceId).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var complete = stack.TracedEvents.Count(id => byTrace.TryGetValue(id, out var trace) && ChainProblem(trace) is null);
        var firstProblem = stack.TracedEvents.Select(id => byTrace.TryGetValue(id, out var trace) ? ChainProblem(trace) is { } problem ? $"{problem}; its spans: {Describe(trace)}" : null : $"{id}: no spans at all")
            .FirstOrDefault(p => p is not null);
        Assert.True(complete == expected.Count, $"{complete}/{expected.Count} traces hold ingest → every hop → their own delivery; first problem: {firstProblem}");
    }

    [Fact]
    public async Task Spans_of_the_traced_events_come_from_more_than_one_isolate_per_stage()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var expected = stack.TracedEvents.ToHashSet(StringComparer.Ordinal);
        var spans = await Poll.LastAsync(stack.Receiver.SpansAsync,
            all => Hops.All(hop => all.Where(s => s.Name == $"process {hop}" && expected.Contains(s.TraceId)).Select(s => s.Attribute("pipeline.isolate")).Distinct().Count() >= 2),
            TimeSpan.FromSeconds(60));
        foreach (var hop in Hops)
        {
            var isolates = spans.Where(s => s.Name == $"process {hop}" && expected.Contains(s.TraceId)).Select(s => s.Attribute("pipeline.isolate")).Distinct().ToList();
            Assert.True(isolates.Count >= 2, $"stage {hop}: spans from isolates [{string.Join(", ", isolates)}], expected 2 or more");
        }
    }

    private static string Describe(IEnumerable<ReceivedSpan> trace) =>
        string.Join(", ", trace.OrderBy(s => s.StartNanos).Select(s => $"'{s.Name}' {s.SpanId}←{s.ParentSpanId} kind {s.Kind} [{string.Join(" ", s.Attributes.Select(a => $"{a.Key}={a.Value}"))}]"));

    /// <summary>null when the trace is the whole chain, parented in order; else what is wrong with it.</summary>
    internal static string? ChainProblem(IReadOnlyList<ReceivedSpan> trace)
    {
        var traceId = trace[0].TraceId;
        var ingest = trace.Where(s => s.Name == "receive ingest").ToList();
        if (ingest.Count != 1)
        {
            return $"{traceId}: {ingest.Count} 'receive ingest' spans";
        }
        var parent = ingest[0];
        foreach (var hop in Hops)
        {
            var span = trace.SingleOrDefault(s => s.Name == $"process {hop}");
            if (span is null)
            {
                return $"{traceId}: no 'process {hop}' span";
            }
            if (span.ParentSpanId != parent.SpanId)
            {
                return $"{traceId}: 'process {hop}' is not a child of '{parent.Name}'";
            }
            if (span.Attribute("pipeline.stage") != hop || span.Attribute("pipeline.isolate") is null)
            {
                return $"{traceId}: 'process {hop}' lacks pipeline.stage={hop} or pipeline.isolate";
            }
            parent = span;
        }
        // The event's own delivery is a Producer span; the batch span (Client, for the http sink) that links every
        // event of the batch is a child of the first event's, so that one trace holds a second 'send out'.
        var deliveries = trace.Where(s => s.Name == "send out" && s.Kind == ReceivedSpan.Producer).ToList();
        if (deliveries.Count != 1)
        {
            return $"{traceId}: {deliveries.Count} 'send out' Producer spans";
        }
        if (deliveries[0].Attribute("pipeline.stage") != "out" || deliveries[0].Attribute("pipeline.isolate") is null)
        {
            return $"{traceId}: 'send out' lacks pipeline.stage=out or pipeline.isolate";
        }
        if (deliveries[0].ParentSpanId != parent.SpanId)
        {
            return $"{traceId}: 'send out' is not a child of its last hop 'process by_level'";
        }
        return null;
    }
}
