using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Isolates;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

/// <summary>End-to-end acknowledgements: a source's batch completes when every copy of every event is terminal.</summary>
public sealed class AcknowledgementTests
{
    [Fact]
    public async Task Without_acknowledgements_a_source_gets_no_batch()
    {
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline().Source("in", source).Sink("out", new RecordingSink(), ["in"]);
        await pipeline.StartAsync();

        var context = await source.Context.Guarded();

        Assert.Null(context.BeginBatch());
    }

    [Fact]
    public async Task A_batch_completes_only_after_the_sink_confirmed_every_event()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Stage("p", DelegateProcessorFactory.PassThrough, ["in"])
            .Sink("out", sink, ["p"]);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = Assert.IsType<SourceBatch>(context.BeginBatch());
        await SendAllAsync(context, batch, 5);
        batch.Seal();
        await gate.Entered.Guarded();

        Assert.False(batch.Completion.IsCompleted, "the batch completed while the sink still held its events");
        gate.Release();
        var result = await batch.Completion.Guarded();
        Assert.Equal(5, result.Delivered);
        Assert.Equal(0, result.DeadLettered);
        Assert.Equal(5, sink.Delivered.Count);
    }

    [Fact]
    public async Task An_unsealed_batch_never_completes_even_when_everything_sent_was_delivered()
    {
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink { BeforeWrite = (_, _) => { delivered.TrySetResult(); return ValueTask.CompletedTask; } };
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline().Source("in", source, acknowledgements: true).Sink("out", sink, ["in"]);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        await SendAllAsync(context, batch, 1);
        await delivered.Task.Guarded();
        await TestWaits.UntilAsync(() => batch.Outstanding == 0);

        Assert.False(batch.Completion.IsCompleted, "the source may still send more: the batch must wait for Seal");
        batch.Seal();
        Assert.Equal(1, (await batch.Completion.Guarded()).Delivered);
    }

    [Fact]
    public async Task Fan_out_to_two_sinks_is_acknowledged_only_when_both_have_it()
    {
        var gate = new SinkGate();
        var fast = new RecordingSink();
        var slow = gate.Sink;
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("fast", fast, ["in"])
            .Sink("slow", slow, ["in"]);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        await SendAllAsync(context, batch, 3);
        batch.Seal();
        await gate.Entered.Guarded();
        await TestWaits.UntilAsync(() => fast.Delivered.Count == 3);

        Assert.False(batch.Completion.IsCompleted, "acknowledged while one of the two sinks had not delivered");
        gate.Release();
        var result = await batch.Completion.Guarded();
        Assert.Equal(6, result.Delivered);
    }

    [Fact]
    public async Task A_dead_lettered_event_is_named_by_its_position_with_the_reason()
    {
        var sink = new RecordingSink
        {
            BeforeWrite = (batch, _) => batch.Any(e => SeqOf(e) == 2)
                ? throw new PermanentFailureException("the backend rejected seq 2")
                : ValueTask.CompletedTask,
        };
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", sink, ["in"], TestPipeline.Settings(batchSize: 1));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        await SendAllAsync(context, batch, 4, firstPosition: 10);
        batch.Seal();
        var result = await batch.Completion.Guarded();

        Assert.Equal(3, result.Delivered);
        Assert.Equal(1, result.DeadLettered);
        var deadLetter = Assert.Single(result.DeadLetters);
        Assert.Equal(12, deadLetter.Position);
        Assert.Contains("the backend rejected seq 2", deadLetter.Reason);
        Assert.Single(pipeline.DeadLetters());
    }

    [Fact]
    public async Task Filtered_events_are_dropped_on_purpose_and_split_events_are_each_acknowledged()
    {
        // Odd events are filtered out; even ones become two events each.
        var evensTwice = new DelegateProcessorFactory((evt, output, _) =>
        {
            if (SeqOf(evt) % 2 == 0)
            {
                output.Emit(evt);
                output.Emit(evt.Clone());
            }
            return ValueTask.CompletedTask;
        });
        var sink = new RecordingSink();
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Stage("split", evensTwice, ["in"])
            .Sink("out", sink, ["split"]);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        await SendAllAsync(context, batch, 6);
        batch.Seal();
        var result = await batch.Completion.Guarded();

        Assert.Equal(3, result.Dropped);
        Assert.Equal(6, result.Delivered);
        Assert.Equal(6, sink.Delivered.Count);
    }

    [Fact]
    public async Task An_event_dropped_by_drop_newest_is_acknowledged_as_dropped()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", sink, ["in"], TestPipeline.Settings(mailbox: 1, batchSize: 1, whenFull: WhenFull.DropNewest));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        await SendAllAsync(context, batch, 1);
        await gate.Entered.Guarded();
        // One waits in the mailbox; the third finds it full and is dropped.
        await SendAllAsync(context, batch, 2, firstPosition: 1);
        batch.Seal();
        gate.Release();
        var result = await batch.Completion.Guarded();

        Assert.Equal(2, result.Delivered);
        Assert.Equal(1, result.Dropped);
    }

    [Fact]
    public async Task A_send_refused_by_backpressure_does_not_hold_the_batch_open()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", sink, ["in"], TestPipeline.Settings(mailbox: 1, batchSize: 1));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        await SendAllAsync(context, batch, 1);
        await gate.Entered.Guarded();
        await SendAllAsync(context, batch, 1, firstPosition: 1);
        var refused = await context.SendWithinAsync(Seq(2), default, TimeSpan.FromMilliseconds(1), batch, 2, TestContext.Current.CancellationToken);
        batch.Seal();
        gate.Release();
        var result = await batch.Completion.Guarded();

        Assert.Equal(SendResult.Backpressure, refused);
        Assert.Equal(2, result.Delivered);
    }

    private static async Task SendAllAsync(ISourceContext context, SourceBatch batch, int count, int firstPosition = 0)
    {
        for (var i = 0; i < count; i++)
        {
            var position = firstPosition + i;
            var sent = await context.SendWithinAsync(
                Seq(position - (firstPosition >= 10 ? firstPosition : 0)), default(ActivityContext), Timeout.InfiniteTimeSpan, batch, position,
                TestContext.Current.CancellationToken);
            Assert.Equal(SendResult.Accepted, sent);
        }
    }
}
