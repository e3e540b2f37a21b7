using System.Text.Json;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

public sealed class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Shutdown_drains_everything_that_was_accepted()
    {
        var held = new HeldProcessor();
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("slow", held.Factory, ["in"], TestPipeline.Settings(isolates: 2, mailbox: 64, batchSize: 8))
            .Stage("after", DelegateProcessorFactory.PassThrough, ["slow"], TestPipeline.Settings(mailbox: 4))
            .Sink("out", sink, ["after"], TestPipeline.Settings(mailbox: 4, batchSize: 3));
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();
        for (var seq = 1; seq <= 100; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }
        await held.Entered.Guarded();

        var stopping = topology.StopAsync(TestPipeline.HangGuard);
        Assert.False(await context.SendAsync(Seq(101), default, Ct).Guarded(), "a source's send is refused once the topology is stopping");
        held.Release();
        var report = await stopping.Guarded();

        Assert.True(report.Drained);
        Assert.All(report.Undrained.Values, n => Assert.Equal(0, n));
        Assert.Equal(0, report.DeadLettered);
        Assert.Equal(Enumerable.Range(1, 100), Seqs(sink.Delivered).Order());
        Assert.True(topology.Completion.IsCompleted);
        Assert.False(topology.IsReady);
    }

    [Fact]
    public async Task Shutdown_timeout_reports_and_dead_letters_what_was_left()
    {
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("stuck", new CancellableHang().Factory, ["in"], TestPipeline.Settings(mailbox: 16, batchSize: 2))
            .Sink("out", new RecordingSink(), ["stuck"]);
        var topology = await pipeline.StartAsync(shutdownTimeout: TimeSpan.FromMilliseconds(50));
        var context = await source.Context.Guarded();
        for (var seq = 1; seq <= 5; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }

        var report = await topology.StopAsync(TimeSpan.FromMilliseconds(50)).Guarded();

        Assert.False(report.Drained);
        Assert.Equal(5, report.Undrained["stuck"]);
        Assert.Equal(0, report.Undrained["out"]);
        Assert.Equal(5, report.DeadLettered);
        var records = pipeline.DeadLetters();
        Assert.Equal(5, records.Count);
        Assert.All(records, r => Assert.Equal("undrained_at_shutdown", r.GetProperty("reason").GetString()));
        Assert.Equal(Enumerable.Range(1, 5), records.Select(r => r.GetProperty("event").GetProperty("seq").GetInt32()).Order());
    }

    [Fact]
    public async Task Completion_ends_when_the_sources_finish_on_their_own_and_everything_drained()
    {
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(500))
            .Stage("a", DelegateProcessorFactory.PassThrough, ["in"], TestPipeline.Settings(isolates: 2, mailbox: 8))
            .Stage("b", DelegateProcessorFactory.PassThrough, ["a"], TestPipeline.Settings(mailbox: 8, batchSize: 4))
            .Sink("out", sink, ["b"], TestPipeline.Settings(mailbox: 8));
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(500, sink.Delivered.Count);
        Assert.False(topology.IsReady);
        Assert.True((await topology.StopAsync(TimeSpan.FromSeconds(1)).Guarded()).Drained);
    }

    [Fact]
    public async Task Snapshot_lists_nodes_with_counters_and_edges_and_serializes_to_json()
    {
        var dropOdd = new DelegateProcessorFactory((evt, output, _) =>
        {
            if (SeqOf(evt) % 2 == 0)
            {
                output.Emit(evt);
            }
            return ValueTask.CompletedTask;
        });
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(10))
            .Stage("even", dropOdd, ["in"], TestPipeline.Settings(isolates: 2))
            .Sink("out", new RecordingSink(), ["even"]);
        var topology = await pipeline.StartAsync();
        await topology.Completion.Guarded();

        var snapshot = topology.Snapshot();

        Assert.Equal(["in", "even", "out"], snapshot.Nodes.Select(n => n.Id));
        var even = snapshot.Nodes[1];
        Assert.Equal(("processor", "test_processor", 2, 10L, 5L, 5L, 0L), (even.Kind, even.Type, even.Isolates, even.Received, even.Sent, even.Discarded, even.MailboxDepth));
        Assert.Equal(5, snapshot.Nodes[2].Sent);
        Assert.Equal([new("in", null, "even"), new("even", null, "out")], snapshot.Edges);
        Assert.Equal(5, pipeline.MetricsOf("even", "processor").DiscardCounter("dropped_by_processor").Value);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(snapshot));
        Assert.Equal(3, json.RootElement.GetProperty("Nodes").GetArrayLength());
    }
}
