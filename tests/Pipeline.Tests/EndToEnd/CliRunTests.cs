using Pipeline.Components;
using Pipeline.Host;

namespace Pipeline.Tests.EndToEnd;

/// <summary>`pipeline run` as a user runs it, in-process: load, serve, drain, exit code.</summary>
public sealed class CliRunTests : IDisposable
{
    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Run_exits_0_once_a_finite_source_has_drained_to_the_sink()
    {
        var file = _harness.PathOf("run.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: cli-e2e
            data_dir: {{_harness.Directory}}
            admin: { address: "127.0.0.1:0" }
            sources:
              gen: { type: generator, count: 300, seed: 1 }
            sinks:
              out: { type: file, inputs: [gen], path: "{{_harness.PathOf("out.ndjson")}}" }
            """, TestContext.Current.CancellationToken);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await Cli.RunAsync(["run", "--config", file], stdout, stderr, BuiltInComponents.Create(), TestContext.Current.CancellationToken)
            .WaitAsync(EndToEndHarness.HangGuard, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Equal(300, File.ReadAllLines(_harness.PathOf("out.ndjson")).Length);
    }
}
