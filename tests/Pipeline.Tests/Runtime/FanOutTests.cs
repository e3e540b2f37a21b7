using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

public sealed class FanOutTests
{
    [Fact]
    public async Task Fan_out_from_a_source_gives_each_consumer_an_independent_copy()
    {
        var pair = new PairedInspection();
        var leftSink = new RecordingSink();
        var rightSink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(1))
            .Stage("left", pair.Left, ["in"])
            .Stage("right", pair.Right, ["in"])
            .Sink("left_out", leftSink, ["left"])
            .Sink("right_out", rightSink, ["right"]);
        var topology = await pipeline.StartAsync();

        var (same, sawChange) = await pair.Result.Guarded();
        await topology.Completion.Guarded();

        Assert.False(same, "both consumers were handed the same instance");
        Assert.False(sawChange, "a change made by one consumer leaked into the other's event");
        Assert.Contains("changed by left", Assert.Single(leftSink.Delivered));
        Assert.DoesNotContain("changed by left", Assert.Single(rightSink.Delivered));
    }

    [Fact]
    public async Task Fan_out_from_a_stage_gives_each_consumer_an_independent_copy()
    {
        var pair = new PairedInspection();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(1))
            .Stage("p", DelegateProcessorFactory.PassThrough, ["in"])
            .Stage("left", pair.Left, ["p"])
            .Stage("right", pair.Right, ["p"])
            .Sink("out", new RecordingSink(), ["left", "right"]);
        var topology = await pipeline.StartAsync();

        var (same, sawChange) = await pair.Result.Guarded();
        await topology.Completion.Guarded();

        Assert.False(same);
        Assert.False(sawChange);
    }

    [Fact]
    public async Task Emitting_one_event_to_two_outputs_gives_each_its_own_copy()
    {
        var both = new DelegateProcessorFactory(
            (evt, output, _) =>
            {
                output.Emit(0, evt);
                output.Emit(1, evt);
                return ValueTask.CompletedTask;
            },
            namedOutputs: ["left", "right"]);
        var pair = new PairedInspection();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(1))
            .Stage("both", both, ["in"])
            .Stage("left", pair.Left, ["both.left"])
            .Stage("right", pair.Right, ["both.right"])
            .Sink("out", new RecordingSink(), ["left", "right"]);
        var topology = await pipeline.StartAsync();

        var (same, sawChange) = await pair.Result.Guarded();
        await topology.Completion.Guarded();

        Assert.False(same);
        Assert.False(sawChange);
    }

    [Fact]
    public async Task Fan_out_delivers_every_event_to_every_consumer()
    {
        var first = new RecordingSink();
        var second = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(200))
            .Stage("p", DelegateProcessorFactory.PassThrough, ["in"], TestPipeline.Settings(mailbox: 4))
            .Sink("first", first, ["p"], TestPipeline.Settings(mailbox: 4))
            .Sink("second", second, ["p"], TestPipeline.Settings(mailbox: 4));
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(Enumerable.Range(1, 200), Seqs(first.Delivered));
        Assert.Equal(Enumerable.Range(1, 200), Seqs(second.Delivered));
    }

    [Fact]
    public async Task Named_outputs_reach_only_their_consumers()
    {
        var route = new DelegateProcessorFactory(
            (evt, output, _) =>
            {
                var seq = SeqOf(evt);
                output.Emit(seq % 10 == 0 ? 2 : seq % 2, evt);
                return ValueTask.CompletedTask;
            },
            namedOutputs: ["even", "odd", "unused"]);
        var evens = new RecordingSink();
        var odds = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(20))
            .Stage("route", route, ["in"])
            .Sink("evens", evens, ["route.even"])
            .Sink("odds", odds, ["route.odd"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal([2, 4, 6, 8, 12, 14, 16, 18], Seqs(evens.Delivered));
        Assert.Equal([1, 3, 5, 7, 9, 11, 13, 15, 17, 19], Seqs(odds.Delivered));
        Assert.Equal(2, pipeline.MetricsOf("route", "processor").DiscardCounter("output_unconsumed").Value);
        Assert.Contains(new Topology.TopologyEdge("route", "odd", "odds"), topology.Snapshot().Edges);
    }
}
