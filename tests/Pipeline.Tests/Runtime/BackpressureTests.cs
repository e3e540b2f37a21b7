using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

public sealed class BackpressureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Full_mailbox_blocks_the_producer_instead_of_dropping()
    {
        var held = new HeldProcessor();
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("slow", held.Factory, ["in"], TestPipeline.Settings(mailbox: 2, batchSize: 1))
            .Sink("out", sink, ["slow"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        await FillAsync(context, held);
        var fourth = context.SendAsync(Seq(4), default, Ct).AsTask();

        Assert.False(fourth.IsCompleted, "the mailbox is full and its isolate is held, so the producer must wait");
        held.Release();
        Assert.True(await fourth.Guarded());
        source.Finish();
        await topology.Completion.Guarded();
        Assert.Equal([1, 2, 3, 4], Seqs(sink.Delivered));
        Assert.Equal(0, pipeline.MetricsOf("slow", "processor").DiscardCounter("mailbox_full").Value);
    }

    [Fact]
    public async Task Drop_newest_drops_and_counts_the_drops()
    {
        var held = new HeldProcessor();
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("slow", held.Factory, ["in"], TestPipeline.Settings(mailbox: 2, batchSize: 1, whenFull: WhenFull.DropNewest))
            .Sink("out", sink, ["slow"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        await FillAsync(context, held);
        var fourth = context.SendAsync(Seq(4), default, Ct);
        var fifth = context.SendAsync(Seq(5), default, Ct);

        Assert.True(fourth.IsCompletedSuccessfully, "drop_newest never makes the producer wait");
        Assert.True(fifth.IsCompletedSuccessfully);
        held.Release();
        source.Finish();
        await topology.Completion.Guarded();
        Assert.Equal([1, 2, 3], Seqs(sink.Delivered));
        Assert.Equal(2, pipeline.MetricsOf("slow", "processor").DiscardCounter("mailbox_full").Value);
    }

    [Fact]
    public async Task Send_within_returns_backpressure_on_a_full_pipeline_and_delivers_nothing()
    {
        var held = new HeldProcessor();
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("slow", held.Factory, ["in"], TestPipeline.Settings(mailbox: 2, batchSize: 1))
            .Sink("out", sink, ["slow"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        await FillAsync(context, held);
        var result = await context.SendWithinAsync(Seq(4), default, TimeSpan.FromMilliseconds(20), Ct).Guarded();

        Assert.Equal(SendResult.Backpressure, result);
        held.Release();
        source.Finish();
        await topology.Completion.Guarded();
        Assert.Equal([1, 2, 3], Seqs(sink.Delivered));
        Assert.Equal(3, pipeline.MetricsOf("in", "source").Sent.Value);
    }

    [Fact]
    public async Task Send_within_with_fan_out_hands_the_event_to_no_consumer_when_one_is_full()
    {
        var held = new HeldProcessor();
        var source = new ControlledSource();
        var slowSink = new RecordingSink();
        var fastSink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("fast", DelegateProcessorFactory.PassThrough, ["in"])
            .Stage("slow", held.Factory, ["in"], TestPipeline.Settings(mailbox: 2, batchSize: 1))
            .Sink("fast_out", fastSink, ["fast"])
            .Sink("slow_out", slowSink, ["slow"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        await FillAsync(context, held);
        var result = await context.SendWithinAsync(Seq(4), default, TimeSpan.FromMilliseconds(20), Ct).Guarded();

        Assert.Equal(SendResult.Backpressure, result);
        held.Release();
        source.Finish();
        await topology.Completion.Guarded();
        Assert.Equal([1, 2, 3], Seqs(fastSink.Delivered).Order());
        Assert.Equal([1, 2, 3], Seqs(slowSink.Delivered));
    }

    [Fact]
    public async Task Send_within_accepts_when_there_is_room()
    {
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Sink("out", sink, ["in"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var result = await context.SendWithinAsync(Seq(1), default, TimeSpan.FromSeconds(5), Ct).Guarded();

        Assert.Equal(SendResult.Accepted, result);
        source.Finish();
        await topology.Completion.Guarded();
        Assert.Equal([1], Seqs(sink.Delivered));
    }

    /// <summary>Sends 1 (which the isolate takes and holds inside the processor), then 2 and 3 into the mailbox of 2.</summary>
    private static async Task FillAsync(ISourceContext context, HeldProcessor held)
    {
        Assert.True(await context.SendAsync(Seq(1), default, Ct).Guarded());
        await held.Entered.Guarded();
        Assert.True(await context.SendAsync(Seq(2), default, Ct).Guarded());
        Assert.True(await context.SendAsync(Seq(3), default, Ct).Guarded());
    }
}
