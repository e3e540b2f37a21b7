using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Tests.Config;
using Serilog.Core;

namespace Pipeline.Tests.Runtime;

/// <summary>The memory limiter: above the soft limit sources refuse, below it they accept again; a waiting send resumes.</summary>
public sealed class MemoryLimiterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Above_the_soft_limit_it_refuses_and_below_it_accepts_again()
    {
        long heap = 100;
        using var limiter = new MemoryLimiter(hardLimit: 1000, softLimit: 800, TimeSpan.FromHours(1), Logger.None, measure: () => heap);

        limiter.Check();
        Assert.False(limiter.IsRefusing);
        heap = 900;
        limiter.Check();
        Assert.True(limiter.IsRefusing);
        var waiting = limiter.WaitUntilAcceptingAsync(Ct);
        Assert.False(waiting.IsCompleted);
        heap = 700;
        limiter.Check();
        Assert.False(limiter.IsRefusing);
        await waiting.Guarded();
    }

    [Fact]
    public void Above_the_soft_limit_the_event_pools_let_go_of_their_arrays_so_a_collection_can_free_them()
    {
        long heap = 900;
        using var limiter = new MemoryLimiter(hardLimit: 1000, softLimit: 800, TimeSpan.FromHours(1), Logger.None, measure: () => heap);
        // An event's arrays go back to the pool it came from (or its successor) on release, as after a burst.
        Pipeline.Events.Event.Parse("""{"burst":true}"""u8).Release();
        var bytes = Pipeline.Events.EventMemory.Bytes;
        var nodes = Pipeline.Events.EventMemory.Nodes;

        limiter.Check();

        Assert.NotSame(bytes, Pipeline.Events.EventMemory.Bytes);
        Assert.NotSame(nodes, Pipeline.Events.EventMemory.Nodes);
        // Events made before the trim are released into the new pools without complaint.
        var before = Pipeline.Events.Event.Parse("""{"n":1}"""u8);
        Pipeline.Events.EventMemory.Trim();
        before.Release();
    }

    [Fact]
    public async Task A_source_send_waits_while_memory_is_limited_and_gives_up_at_its_deadline_with_backpressure()
    {
        long heap = 900;
        using var limiter = new MemoryLimiter(hardLimit: 1000, softLimit: 800, TimeSpan.FromHours(1), Logger.None, measure: () => heap);
        limiter.Check();
        var sink = new RecordingSink();
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline().Source("in", source).Sink("out", sink, ["in"]);
        await pipeline.StartAsync(memoryLimiter: limiter);
        var context = await source.Context.Guarded();

        Assert.True(context.MemoryLimited);
        Assert.Equal(Pipeline.Components.SendResult.Backpressure, await context.SendWithinAsync(TestEvents.Seq(1), default, TimeSpan.FromMilliseconds(20), Ct));
        var waiting = context.SendAsync(TestEvents.Seq(2), default, Ct).AsTask();
        Assert.False(waiting.IsCompleted);
        heap = 100;
        limiter.Check();
        Assert.True(await waiting.Guarded());
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 1);
        Assert.Equal([2], TestEvents.Seqs(sink.Delivered));
    }

    [Fact]
    public void The_limits_come_from_a_share_of_the_available_memory_or_from_sizes()
    {
        var shares = ConfigLoader.LoadYaml("""
            memory_limiter: { limit: 50%, spike: 10% }
            sources:
              in: { type: gen }
            sinks:
              o: { type: out, inputs: [in] }
            """, ConfigErrors.File, new Pipeline.Tests.Config.TestComponents().Catalog, new Dictionary<string, string>()).MemoryLimiter;
        Assert.Equal((500_000, 450_000), shares.Resolve(1_000_000));

        var sizes = ConfigLoader.LoadYaml("""
            memory_limiter: { limit: 400MiB, spike: 100MiB, check_interval: 250ms }
            sources:
              in: { type: gen }
            sinks:
              o: { type: out, inputs: [in] }
            """, ConfigErrors.File, new Pipeline.Tests.Config.TestComponents().Catalog, new Dictionary<string, string>()).MemoryLimiter;
        Assert.Equal((400L << 20, 300L << 20), sizes.Resolve(1_000_000));
        Assert.Equal(TimeSpan.FromMilliseconds(250), sizes.CheckInterval);
    }

    [Fact]
    public void A_wrong_percentage_is_an_error_at_its_value()
    {
        var errors = ConfigErrors.Of("""
            memory_limiter: { limit: 150% }
            sources:
              in: { type: gen }
            sinks:
              o: { type: out, inputs: [in] }
            """);

        ConfigErrors.Only(errors, "expected a percentage between 1% and 100%", 1, 26);
    }
}
