using Pipeline.Components;

namespace Pipeline.Tests.Runtime;

/// <summary>/readyz's answer: a source that receives requests must listen before the service says it is ready.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task A_source_that_receives_requests_keeps_the_service_unready_until_it_reports_listening()
    {
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("ingest", new SourceFactory(() => source) { ReceivesRequests = true })
            .Sink("out", new RecordingSink(), ["ingest"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        Assert.False(topology.IsReady);

        context.ReportListening();

        Assert.True(topology.IsReady);
    }

    [Fact]
    public async Task A_source_that_receives_nothing_is_ready_once_started()
    {
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline().Source("in", source).Sink("out", new RecordingSink(), ["in"]);
        var topology = await pipeline.StartAsync();
        await source.Context.Guarded();

        Assert.True(topology.IsReady);
    }
}
