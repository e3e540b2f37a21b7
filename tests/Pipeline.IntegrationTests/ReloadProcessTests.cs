using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// Reloading the real binary as a child process: SIGHUP after the config file was edited, and <c>--watch-config</c>
/// noticing the edit on its own. What changed is observed on <c>/topology</c>, polled until it shows (bounded).
/// </summary>
public sealed class ReloadProcessTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private const string Yaml = """
        name: it-reload
        data_dir: {data_dir}
        admin: { address: "{admin}" }
        sources:
          gen: { type: generator, rate: 100 }
        sinks:
          out: { type: blackhole, inputs: [gen] }
        """;

    private const string AddedSink = "  more: { type: blackhole, inputs: [gen] }\n";

    [Fact]
    public async Task Sighup_after_an_edit_applies_the_new_topology()
    {
        await using var pipeline = await PipelineProcess.StartAsync("reload-sighup", Yaml);

        Append(pipeline.ConfigFile, AddedSink);
        pipeline.HangUp();
        await UntilTopologyHasAsync(pipeline, "more");

        await pipeline.WaitForOutputAsync("reloaded and applied", HangGuard);
        Assert.False(pipeline.HasExited, "SIGHUP must not end the service");
        Assert.Equal(0, await pipeline.StopAsync());
    }

    [Fact]
    public async Task Watch_config_picks_up_an_edit_without_a_signal()
    {
        await using var pipeline = await PipelineProcess.StartAsync("reload-watch", Yaml, runOptions: ["--watch-config"]);

        Append(pipeline.ConfigFile, AddedSink);
        await UntilTopologyHasAsync(pipeline, "more");

        await pipeline.WaitForOutputAsync("--watch-config", HangGuard);
        Assert.Equal(0, await pipeline.StopAsync());
    }

    /// <summary>Replaces the file in one rename, as a ConfigMap update swaps it, so no reader sees half of it.</summary>
    private static void Append(string file, string lines)
    {
        var next = file + ".next";
        File.WriteAllText(next, File.ReadAllText(file).TrimEnd() + "\n" + lines);
        File.Move(next, file, overwrite: true);
    }

    private static async Task UntilTopologyHasAsync(PipelineProcess pipeline, string node)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var topology = JsonDocument.Parse(await pipeline.Admin.GetStringAsync("topology", TestContext.Current.CancellationToken));
            if (topology.RootElement.GetProperty("nodes").EnumerateArray().Any(n => n.GetProperty("id").GetString() == node))
            {
                return;
            }
            Assert.True(clock.Elapsed < HangGuard, $"/topology never showed '{node}':\n{pipeline.Tail()}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
