using System.Diagnostics;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// pipeline top in a real terminal: the binary in a detached tmux session (a 200-column pseudo-terminal) against a
/// running pipeline, read with capture-pane, quit with q. Skipped, saying so, where tmux is not installed.
/// </summary>
public sealed class TopTerminalTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private const string Yaml = """
        name: it-top
        data_dir: {data_dir}
        admin: { address: "{admin}" }
        sources:
          gen: { type: generator, rate: 500, seed: 1 }
        stages:
          keep: { type: filter, inputs: [gen], condition: '.status < 600' }
        sinks:
          out: { type: blackhole, inputs: [keep] }
        """;

    [Fact]
    public async Task Top_in_a_terminal_shows_every_component_live_and_quits_cleanly_on_q()
    {
        var tmux = new[] { "/usr/bin/tmux", "/usr/local/bin/tmux" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(tmux is null, "tmux is not installed (Debian package 'tmux'): the terminal test of pipeline top is skipped");
        await using var pipeline = await PipelineProcess.StartAsync("top", Yaml);
        var session = $"pipeline-top-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var exitFile = Path.Combine(pipeline.Directory, "top-exit-code");
        var command = $"'{PipelineProcess.Executable}' top --interval 200ms --admin-address {pipeline.AdminTarget}; echo $? > '{exitFile}'";
        Assert.Equal(0, await RunAsync(tmux!, "new-session", "-d", "-s", session, "-x", "200", "-y", "40", command));
        try
        {
            var screen = "";
            await WaitUntilAsync(async () =>
            {
                screen = await CaptureAsync(tmux!, session);
                var rows = screen.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(c => c.Length > 4 && c[0] is "gen" or "keep" or "out").ToList();
                return rows.Count == 3 && rows.All(r => r[3] != "0" && r[4] != "0");
            }, () => $"top never showed every component with a rate; the screen:\n{screen}");
            Assert.Contains("pipeline it-top: ready", screen, StringComparison.Ordinal);

            Assert.Equal(0, await RunAsync(tmux!, "send-keys", "-t", session, "q"));

            await WaitUntilAsync(() => Task.FromResult(File.Exists(exitFile) && File.ReadAllText(exitFile).Length > 0), () => "top did not quit on q");
            Assert.Equal("0", File.ReadAllText(exitFile).Trim());
        }
        finally
        {
            await RunAsync(tmux!, "kill-session", "-t", session);
        }
    }

    private static async Task<string> CaptureAsync(string tmux, string session)
    {
        using var process = Start(tmux, "capture-pane", "-p", "-t", session);
        var text = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return text;
    }

    private static async Task<int> RunAsync(string tmux, params string[] arguments)
    {
        using var process = Start(tmux, arguments);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(HangGuard, TestContext.Current.CancellationToken);
        return process.ExitCode;
    }

    private static Process Start(string file, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return Process.Start(startInfo) ?? throw new InvalidOperationException($"{file} did not start");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure());
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
