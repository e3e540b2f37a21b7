using System.Collections.Concurrent;
using Pipeline.Events;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

public sealed class SinkBatchingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Batch_timeout_lets_a_partial_batch_wait_until_it_is_full()
    {
        var batchSizes = new ConcurrentQueue<int>();
        var sink = new RecordingSink { BeforeWrite = (batch, _) => { batchSizes.Enqueue(batch.Count); return ValueTask.CompletedTask; } };
        var source = new ControlledSource();
        var settings = TestPipeline.Settings(batchSize: 4);
        settings.BatchTimeout = TimeSpan.FromHours(1);
        await using var pipeline = new TestPipeline().Source("in", source).Sink("out", sink, ["in"], settings);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        Assert.True(await context.SendAsync(Seq(1), default, Ct).Guarded());
        // The sink has taken the first event off its mailbox: without a batch timeout it would deliver it alone now.
        await TestWaits.UntilAsync(() => pipeline.MetricsOf("out", "sink").Received.Value == 1);
        for (var seq = 2; seq <= 4; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }
        // Delivered, not Writes: the sink counts a write before it runs the hook that records the batch's size.
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 4);

        Assert.Equal([4], batchSizes);
        Assert.Equal(1, sink.Writes);
        Assert.Equal([1, 2, 3, 4], Seqs(sink.Delivered));
    }

    [Fact]
    public async Task Shutdown_delivers_a_waiting_partial_batch_at_once()
    {
        var sink = new RecordingSink();
        var source = new ControlledSource();
        var settings = TestPipeline.Settings(batchSize: 10);
        settings.BatchTimeout = TimeSpan.FromHours(1);
        await using var pipeline = new TestPipeline().Source("in", source).Sink("out", sink, ["in"], settings);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();
        for (var seq = 1; seq <= 3; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }
        await TestWaits.UntilAsync(() => pipeline.MetricsOf("out", "sink").Received.Value == 3);
        Assert.Equal(0, sink.Writes);

        var report = await topology.StopAsync(TestPipeline.HangGuard).Guarded();

        Assert.True(report.Drained);
        Assert.Equal([1, 2, 3], Seqs(sink.Delivered));
    }
}
