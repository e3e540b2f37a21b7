using System.Collections.Concurrent;
using Pipeline.Components;
using Serilog.Events;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

public sealed class FailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Throwing_processor_is_retried_then_dead_lettered_with_its_reason()
    {
        var attempts = 0;
        var failing = new DelegateProcessorFactory((evt, output, _) =>
        {
            Interlocked.Increment(ref attempts);
            throw new InvalidOperationException($"boom on {SeqOf(evt)}");
        });
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(1, first: 7))
            .Stage("flaky", failing, ["in"], TestPipeline.Settings(maxAttempts: 3))
            .Sink("out", sink, ["flaky"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(3, attempts);
        Assert.Empty(sink.Delivered);
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal("InvalidOperationException: boom on 7", record.GetProperty("reason").GetString());
        Assert.Equal("flaky", record.GetProperty("component_id").GetString());
        Assert.Equal(3, record.GetProperty("attempts").GetInt32());
        Assert.Equal("in", record.GetProperty("source_id").GetString());
        Assert.Equal("pipeline", record.GetProperty("pipeline").GetString());
        Assert.Equal(7, record.GetProperty("event").GetProperty("seq").GetInt32());
        var metrics = pipeline.MetricsOf("flaky", "processor");
        Assert.Equal(3, metrics.ErrorCounter("processing_failed").Value);
        Assert.Equal(1, metrics.DeadLettered.Value);
        // Two retries at Warning; the dead-letter at Error.
        Assert.Equal(2, pipeline.Log.Events.Count(e => e.Level == LogEventLevel.Warning && e.Properties.ContainsKey("pipeline.stage")));
        Assert.Equal(1, pipeline.Log.Events.Count(e => e.Level == LogEventLevel.Error && e.Properties.ContainsKey("pipeline.stage")));
    }

    [Fact]
    public async Task Processor_that_recovers_within_max_attempts_delivers_the_event()
    {
        var attempts = 0;
        var flaky = new DelegateProcessorFactory((evt, output, _) =>
        {
            if (Interlocked.Increment(ref attempts) < 3)
            {
                throw new TimeoutException("upstream lookup timed out");
            }
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(1))
            .Stage("flaky", flaky, ["in"], TestPipeline.Settings(maxAttempts: 3))
            .Sink("out", sink, ["flaky"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal([1], Seqs(sink.Delivered));
        Assert.Empty(pipeline.DeadLetters());
    }

    [Fact]
    public async Task Permanent_failure_skips_the_remaining_attempts()
    {
        var attempts = 0;
        var failing = new DelegateProcessorFactory((_, _, _) =>
        {
            Interlocked.Increment(ref attempts);
            throw new PermanentFailureException("field .user.id is an object, expected a string");
        });
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(1))
            .Stage("strict", failing, ["in"], TestPipeline.Settings(maxAttempts: 5))
            .Sink("out", new RecordingSink(), ["strict"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(1, attempts);
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal(1, record.GetProperty("attempts").GetInt32());
        Assert.Equal("PermanentFailureException: field .user.id is an object, expected a string", record.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Crashing_isolate_is_restarted_with_a_new_instance_and_nothing_is_lost()
    {
        var attemptsBySeq = new ConcurrentDictionary<int, int>();
        var crashing = new DelegateProcessorFactory((evt, output, _) =>
        {
            var seq = SeqOf(evt);
            var attempt = attemptsBySeq.AddOrUpdate(seq, 1, (_, n) => n + 1);
            if ((seq == 3 && attempt == 1) || seq == 5)
            {
                throw new InstanceCorruptedException($"state broken by {seq}");
            }
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(10))
            .Stage("fragile", crashing, ["in"], TestPipeline.Settings(maxAttempts: 3, maxRestarts: 10))
            .Sink("out", sink, ["fragile"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        // 3 crashes once; 5 crashes on all three attempts: four restarts, each with a new instance.
        var metrics = pipeline.MetricsOf("fragile", "processor");
        Assert.Equal(4, metrics.Restarts.Value);
        Assert.Equal(5, crashing.Created);
        Assert.Equal([1, 2, 3, 4, 6, 7, 8, 9, 10], Seqs(sink.Delivered));
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal(5, record.GetProperty("event").GetProperty("seq").GetInt32());
        Assert.Equal("isolate crashed: InstanceCorruptedException: state broken by 5", record.GetProperty("reason").GetString());
        Assert.Equal(3, record.GetProperty("attempts").GetInt32());
        // Events in = events out + dead-lettered.
        Assert.Equal(pipeline.MetricsOf("in", "source").Sent.Value, pipeline.MetricsOf("out", "sink").Sent.Value + metrics.DeadLettered.Value);
        Assert.True(topology.Snapshot().Nodes.All(n => n.State != "failed"));
    }

    [Fact]
    public async Task Isolate_whose_factory_throws_is_restarted()
    {
        var calls = 0;
        var factory = new DelegateProcessorFactory((evt, output, _) =>
        {
            output.Emit(evt);
            return ValueTask.CompletedTask;
        })
        {
            FailCreation = _ => Interlocked.Increment(ref calls) == 1 ? new InvalidOperationException("model file not ready") : null,
        };
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(3))
            .Stage("late", factory, ["in"])
            .Sink("out", sink, ["late"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(1, pipeline.MetricsOf("late", "processor").Restarts.Value);
        Assert.Equal([1, 2, 3], Seqs(sink.Delivered));
        Assert.Empty(pipeline.DeadLetters());
    }

    [Fact]
    public async Task Too_many_restarts_fail_the_stage_and_readiness_goes_false()
    {
        var alwaysCrashing = new DelegateProcessorFactory((_, _, _) => throw new InstanceCorruptedException("corrupt"));
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("doomed", alwaysCrashing, ["in"], TestPipeline.Settings(mailbox: 2, maxAttempts: 3, maxRestarts: 2))
            .Sink("out", new RecordingSink(), ["doomed"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();
        Assert.True(topology.IsReady);

        Assert.True(await context.SendAsync(Seq(1), default, Ct).Guarded());
        await pipeline.Log.WaitFor(IsStageFailedLine).Guarded();

        Assert.False(topology.IsReady);
        Assert.Contains("doomed", topology.FailureReason);
        Assert.Contains("more than 2 restarts", topology.FailureReason);
        // A failed stage must not block upstream: many more events than its mailbox holds go straight to the dead-letter output.
        for (var seq = 2; seq <= 20; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }
        source.Finish();
        await topology.Completion.Guarded();

        var records = pipeline.DeadLetters();
        Assert.Equal(20, records.Count);
        Assert.Equal(19, records.Count(r => r.GetProperty("reason").GetString() == "stage_failed"));
        Assert.Equal(2, pipeline.MetricsOf("doomed", "processor").Restarts.Value);
        Assert.Single(pipeline.Log.Events, IsStageFailedLine);
        // Besides that line: one per restart, and nothing else at error level.
        Assert.Equal(3, pipeline.Log.Events.Count(e => e.Level >= LogEventLevel.Error));
        Assert.Equal("failed", topology.Snapshot().Nodes.Single(n => n.Id == "doomed").State);
    }

    [Fact]
    public async Task Sink_failure_is_retried_then_dead_lettered()
    {
        var sink = new RecordingSink { BeforeWrite = (_, _) => throw new IOException("disk full") };
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(1))
            .Sink("out", sink, ["in"], TestPipeline.Settings(maxAttempts: 3));
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(3, sink.Writes);
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal("IOException: disk full", record.GetProperty("reason").GetString());
        Assert.Equal("out", record.GetProperty("component_id").GetString());
        Assert.Equal(3, record.GetProperty("attempts").GetInt32());
        var metrics = pipeline.MetricsOf("out", "sink");
        Assert.Equal(3, metrics.ErrorCounter("delivery_failed").Value);
        Assert.Equal(0, metrics.Sent.Value);
    }

    [Fact]
    public async Task Sink_that_recovers_delivers_the_whole_batch_once()
    {
        var failures = 0;
        var sink = new RecordingSink
        {
            BeforeWrite = (_, _) => Interlocked.Increment(ref failures) <= 2 ? throw new IOException("connection reset") : ValueTask.CompletedTask,
        };
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(5))
            .Sink("out", sink, ["in"], TestPipeline.Settings(maxAttempts: 3, batchSize: 64));
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal([1, 2, 3, 4, 5], Seqs(sink.Delivered));
        Assert.Empty(pipeline.DeadLetters());
        Assert.Equal(5, pipeline.MetricsOf("out", "sink").Sent.Value);
        Assert.True(sink.Flushes >= 1);
    }

    [Fact]
    public async Task Failing_source_is_restarted()
    {
        var source = new CountingSource(2) { FailFirstRun = true };
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Sink("out", sink, ["in"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal([1, 2], Seqs(sink.Delivered));
        Assert.Equal(1, pipeline.MetricsOf("in", "source").Restarts.Value);
        Assert.Equal(1, pipeline.MetricsOf("in", "source").ErrorCounter("source_failed").Value);
    }

    [Fact]
    public async Task Invalid_input_is_counted_and_dead_lettered_raw()
    {
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Sink("out", new RecordingSink(), ["in"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        context.ReportInvalidInput("line 3: invalid JSON", "{\"oops"u8);
        source.Finish();
        await topology.Completion.Guarded();

        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal("line 3: invalid JSON", record.GetProperty("reason").GetString());
        Assert.Equal("{\"oops", record.GetProperty("raw").GetString());
        Assert.Equal("in", record.GetProperty("component_id").GetString());
        Assert.False(record.TryGetProperty("event", out _));
        Assert.Equal(1, pipeline.MetricsOf("in", "source").ErrorCounter("invalid_input").Value);
    }

    [Fact]
    public async Task Dead_letter_record_keeps_the_incoming_trace_id()
    {
        var source = new ControlledSource();
        var trace = new System.Diagnostics.ActivityContext(
            System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.None);
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("strict", new DelegateProcessorFactory((_, _, _) => throw new PermanentFailureException("no")), ["in"])
            .Sink("out", new RecordingSink(), ["strict"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        Assert.True(await context.SendAsync(Seq(1), trace, Ct).Guarded());
        source.Finish();
        await topology.Completion.Guarded();

        Assert.Equal(trace.TraceId.ToHexString(), Assert.Single(pipeline.DeadLetters()).GetProperty("trace_id").GetString());
    }

    private static bool IsStageFailedLine(LogEvent e)
        => e.Level == LogEventLevel.Error && e.MessageTemplate.Text.StartsWith("Stage {ComponentId} failed", StringComparison.Ordinal);
}
