using System.Collections.Concurrent;
using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// A sink that reports per-event results (<see cref="PartialDeliveryException"/>) and one that carries trace context
/// onward (<see cref="ITracePropagatingSink"/>), as the Kafka and Elasticsearch sinks do.
/// </summary>
public sealed class PartialDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rejected_event_is_dead_lettered_alone_and_only_the_retryable_one_is_sent_again()
    {
        // First attempt: 3 is rejected for good, 4 times out; the rest went through. The retry carries 4 alone.
        var sink = new ScriptedSink((attempt, seqs) => attempt == 1
            ? [new EventDeliveryFailure(seqs.IndexOf(3), "record too large (MSG_SIZE_TOO_LARGE)", Retryable: false),
               new EventDeliveryFailure(seqs.IndexOf(4), "timed out in the queue", Retryable: true)]
            : []);
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", sink, ["in"], WholeBatches(batchSize: 5));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        Assert.Equal(5, await SendAsync(context, batch, [1, 2, 3, 4, 5]));
        batch.Seal();
        var result = await batch.Completion.Guarded();

        Assert.Equal([[1, 2, 3, 4, 5], [4]], sink.Attempts);
        Assert.Equal([1, 2, 5, 4], sink.Delivered);
        Assert.Equal(4, result.Delivered);
        Assert.Equal(1, result.DeadLettered);
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal(3, record.GetProperty("event").GetProperty("seq").GetInt32());
        Assert.Equal("record too large (MSG_SIZE_TOO_LARGE)", record.GetProperty("reason").GetString());
        var metrics = pipeline.MetricsOf("out", "sink");
        Assert.Equal(4, metrics.Sent.Value);
        Assert.Equal(1, metrics.DeadLettered.Value);
    }

    [Fact]
    public async Task Retryable_events_that_keep_failing_are_dead_lettered_after_the_last_attempt_without_the_delivered_ones()
    {
        var sink = new ScriptedSink((_, seqs) => [.. seqs.Select((seq, index) => (seq, index)).Where(s => s.seq % 2 == 0)
            .Select(s => new EventDeliveryFailure(s.index, $"leader not available for {s.seq}", Retryable: true))]);
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", sink, ["in"], WholeBatches(batchSize: 4, maxAttempts: 3));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        Assert.Equal(4, await SendAsync(context, batch, [1, 2, 3, 4]));
        batch.Seal();
        var result = await batch.Completion.Guarded();

        Assert.Equal([[1, 2, 3, 4], [2, 4], [2, 4]], sink.Attempts);
        Assert.Equal([1, 3], sink.Delivered);
        Assert.Equal(2, result.Delivered);
        Assert.Equal(2, result.DeadLettered);
        Assert.Equal([2, 4], pipeline.DeadLetters().Select(r => r.GetProperty("event").GetProperty("seq").GetInt32()).Order());
        Assert.All(pipeline.DeadLetters(), r => Assert.Contains("leader not available for 2", r.GetProperty("reason").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_trace_propagating_sink_gets_each_events_trace_id_sampled_or_not()
    {
        var sink = new ScriptedSink((_, _) => []);
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Sink("out", sink, ["in"], TestPipeline.Settings(batchSize: 8));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();
        var incoming = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);

        Assert.True(await context.SendAsync(Seq(1), incoming, Ct).Guarded());
        Assert.True(await context.SendAsync(Seq(2), default, Ct).Guarded());
        await TestWaits.UntilAsync(() => sink.TraceContexts.Count == 2);

        var contexts = sink.TraceContexts.ToDictionary(c => c.Seq, c => c.Context);
        Assert.Equal(incoming.TraceId, contexts[1].TraceId);
        Assert.Equal(ActivityTraceFlags.None, contexts[1].TraceFlags & ActivityTraceFlags.Recorded);
        // An event that came without one carries the trace id the pipeline gave it at ingest, not an empty one.
        Assert.NotEqual(default, contexts[2].TraceId);
        Assert.NotEqual(incoming.TraceId, contexts[2].TraceId);
        Assert.NotEqual(default, contexts[2].SpanId);
    }

    /// <summary>A sink batch waits until it holds <paramref name="batchSize"/> events, so a test knows what the first attempt gets.</summary>
    private static Pipeline.Isolates.IsolatePoolSettings WholeBatches(int batchSize, int maxAttempts = 3)
    {
        var settings = TestPipeline.Settings(batchSize: batchSize, maxAttempts: maxAttempts);
        settings.BatchTimeout = TimeSpan.FromHours(1);
        return settings;
    }

    private static async Task<int> SendAsync(ISourceContext context, SourceBatch batch, int[] seqs)
    {
        var sent = 0;
        foreach (var seq in seqs)
        {
            if (await context.SendWithinAsync(Seq(seq), default, Timeout.InfiniteTimeSpan, batch, seq, Ct) == SendResult.Accepted)
            {
                sent++;
            }
        }
        return sent;
    }

    /// <summary>Fails, per attempt, the events <c>failures</c> names (by index into the batch it was given), delivering the rest.</summary>
    private sealed class ScriptedSink(Func<int, List<int>, EventDeliveryFailure[]> failures) : ISinkFactory
    {
        private readonly ConcurrentQueue<int> _delivered = new();
        private readonly ConcurrentQueue<int[]> _attempts = new();
        private readonly ConcurrentQueue<(int Seq, ActivityContext Context)> _traceContexts = new();
        private readonly Func<int, List<int>, EventDeliveryFailure[]> _failures = failures;

        public IReadOnlyList<int[]> Attempts => [.. _attempts];

        public IReadOnlyList<int> Delivered => [.. _delivered];

        public IReadOnlyList<(int Seq, ActivityContext Context)> TraceContexts => [.. _traceContexts];

        public ISink CreateForIsolate(int isolateIndex) => new Instance(this);

        private sealed class Instance(ScriptedSink owner) : ITracePropagatingSink
        {
            private int _attempt;

            public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
                => throw new InvalidOperationException("a trace-propagating sink is called with the trace contexts");

            public ValueTask WriteAsync(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, CancellationToken cancellationToken)
            {
                Assert.Equal(batch.Count, traceContexts.Count);
                var seqs = batch.Select(SeqOf).ToList();
                owner._attempts.Enqueue([.. seqs]);
                var failed = owner._failures(++_attempt, seqs);
                for (var i = 0; i < seqs.Count; i++)
                {
                    owner._traceContexts.Enqueue((seqs[i], traceContexts[i]));
                    if (!failed.Any(f => f.Index == i))
                    {
                        owner._delivered.Enqueue(seqs[i]);
                    }
                }
                return failed.Length == 0
                    ? ValueTask.CompletedTask
                    : ValueTask.FromException(new PartialDeliveryException($"{failed.Length} of {seqs.Count} records failed", failed));
            }

            public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
