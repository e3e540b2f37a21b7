using System.Diagnostics;
using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>The real binary fed on standard input, as <c>printf 'hello\n' | pipeline run -c x.yaml</c> is.</summary>
public sealed class StdinDecodingTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-it-stdin-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Runs the binary on <paramref name="yaml"/> with <paramref name="input"/> as its standard input, to its exit.</summary>
    private async Task<(int ExitCode, string[] Stdout)> RunAsync(string yaml, string input)
    {
        var config = Path.Combine(_directory, "pipeline.yaml");
        await File.WriteAllTextAsync(config, yaml.Replace("{data_dir}", Path.Combine(_directory, "data"), StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var (exitCode, stdout, _) = await StdinRun.RunAsync(config, input, _directory, HangGuard);
        return (exitCode, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Plain_text_with_the_text_codec_comes_out_as_events_with_the_line_in_message()
    {
        var (exitCode, stdout) = await RunAsync("""
            data_dir: {data_dir}
            admin: { address: "127.0.0.1:0" }
            sources:
              in: { type: stdin, decoding: { codec: text } }
            sinks:
              out: { type: stdout, inputs: [in] }
            """, "hello\n");

        Assert.Equal(0, exitCode);
        Assert.Contains("""{"message":"hello"}""", stdout);
    }

    [Fact]
    public async Task A_vector_style_parse_json_is_warned_about_at_start_up_and_its_failures_are_logged_rate_limited_without_stack_traces()
    {
        var input = string.Concat(Enumerable.Range(0, 2000).Select(i => $"{{\"n\":{i}}}\n"));

        var (exitCode, stdout) = await RunAsync("""
            data_dir: {data_dir}
            admin: { address: "127.0.0.1:0" }
            sources:
              in: { type: stdin }
            stages:
              parse: { type: parse_json, inputs: [in] }
            sinks:
              out: { type: blackhole, inputs: [parse] }
            """, input);

        // Every event failed in parse and nothing was delivered: a batch run that did nothing useful exits 1 (docs/cli.md).
        Assert.Equal(1, exitCode);
        var logs = stdout.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(logs, l => l.GetProperty("level").GetString() == "Warning"
            && l.GetProperty("message").GetString()!.Contains("warning: stage 'parse' (parse_json): the source 'in' already decodes JSON", StringComparison.Ordinal));
        var failures = logs.Where(l => l.GetProperty("message").GetString()!.Contains("dead-lettering it (permanent failure)", StringComparison.Ordinal)).ToList();
        Assert.InRange(failures.Count, 1, 100);
        Assert.All(failures, l => Assert.False(l.TryGetProperty("exception", out _)));
    }
}
