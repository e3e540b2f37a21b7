using Pipeline.Topology;

namespace Pipeline.Tests.EndToEnd;

/// <summary>
/// A stop that arrives while the topology is built or started is honoured there: building gives up, starting starts
/// nothing more, and what did start drains as on any stop. The real binary's SIGTERM during start-up is tested in
/// Pipeline.IntegrationTests (StartupStopTests).
/// </summary>
public sealed class StopDuringStartUpTests : IDisposable
{
    private const string Topology = """
        data_dir: "{dir}"
        sources:
          gen: { type: generator, rate: 1000 }
        stages:
          keep: { type: filter, inputs: [gen], condition: 'true', isolates: 4 }
        sinks:
          out: { type: file, inputs: [keep], path: "{dir}/out.ndjson" }
        """;

    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Building_with_a_stop_already_requested_gives_up_before_the_first_component()
    {
        var config = _harness.Load(Topology);

        Assert.Throws<OperationCanceledException>(() =>
            RunningTopology.Build(config, _harness.Metrics, _harness.Logger, tracing: null, memoryLimiter: null, stopping: new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task Starting_with_a_stop_requested_starts_nothing_and_stops_at_once_with_nothing_left_behind()
    {
        await using var topology = _harness.Build(_harness.Load(Topology));

        await topology.StartAsync(new CancellationToken(canceled: true));
        var report = await topology.StopAsync(TimeSpan.FromSeconds(5)).WaitAsync(EndToEndHarness.HangGuard, TestContext.Current.CancellationToken);

        Assert.False(topology.StartedCompletely);
        Assert.True(report.Drained);
        Assert.All(report.Undrained.Values, left => Assert.Equal(0, left));
        Assert.False(File.Exists(_harness.PathOf("out.ndjson")));
    }

    [Fact]
    public async Task Starting_without_a_stop_starts_everything()
    {
        await using var topology = _harness.Build(_harness.Load(Topology));

        await topology.StartAsync(TestContext.Current.CancellationToken);

        Assert.True(topology.StartedCompletely);
        Assert.True(topology.IsReady);
    }
}
