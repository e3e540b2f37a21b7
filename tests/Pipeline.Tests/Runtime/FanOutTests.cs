using Pipeline.Events;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

public sealed class FanOutTests
{
    private static readonly FieldPath Tag = FieldPath.Parse(".tag");

    [Fact]
    public async Task Fan_out_gives_each_consumer_an_independent_copy()
    {
        static DelegateProcessorFactory Tagger(string tag) => new((evt, output, _) =>
        {
            evt.SetString(Tag, tag);
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var sinkA = new RecordingSink();
        var sinkB = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(50))
            .Stage("a", Tagger("a"), ["in"])
            .Stage("b", Tagger("b"), ["in"])
            .Sink("sink_a", sinkA, ["a"])
            .Sink("sink_b", sinkB, ["b"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(Enumerable.Range(1, 50), Seqs(sinkA.Delivered));
        Assert.Equal(Enumerable.Range(1, 50), Seqs(sinkB.Delivered));
        Assert.All(sinkA.Delivered, json => Assert.Contains("\"tag\":\"a\"", json));
        Assert.All(sinkB.Delivered, json => Assert.Contains("\"tag\":\"b\"", json));
        var instancesOfA = sinkA.Instances.ToHashSet(ReferenceEqualityComparer.Instance);
        Assert.DoesNotContain(sinkB.Instances, instancesOfA.Contains);
    }

    [Fact]
    public async Task A_stage_feeding_two_sinks_gives_each_its_own_event()
    {
        var first = new RecordingSink { BeforeWrite = (batch, _) => Mark(batch) };
        var second = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(20))
            .Stage("p", DelegateProcessorFactory.PassThrough, ["in"])
            .Sink("first", first, ["p"])
            .Sink("second", second, ["p"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(20, first.Delivered.Count);
        Assert.Equal(20, second.Delivered.Count);
        Assert.All(second.Instances, evt => Assert.False(evt.Exists(Tag), "a change made by one consumer leaked into another's event"));
        Assert.Empty(first.Instances.Intersect(second.Instances, ReferenceEqualityComparer.Instance));

        static ValueTask Mark(IReadOnlyList<Event> batch)
        {
            foreach (var evt in batch)
            {
                evt.SetString(Tag, "seen by first");
            }
            return ValueTask.CompletedTask;
        }
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
        var left = new RecordingSink();
        var right = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(5))
            .Stage("both", both, ["in"])
            .Sink("left", left, ["both.left"])
            .Sink("right", right, ["both.right"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(5, left.Delivered.Count);
        Assert.Equal(5, right.Delivered.Count);
        Assert.Empty(left.Instances.Intersect(right.Instances, ReferenceEqualityComparer.Instance));
    }
}
