using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// The binary's start-up failures and batch runs as a user meets them (docs/cli.md): a child process, its exit code,
/// and every line it writes.
/// </summary>
public sealed class CommandLineProcessTests : IDisposable
{
    private static readonly TimeSpan ExitsWithin = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-it-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly Dictionary<string, string?> CleanEnvironment = new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
        ["PIPELINE_CONFIG"] = null,
        ["PIPELINE_ADMIN_ADDRESS"] = null,
        ["PIPELINE_LOG_FORMAT"] = null,
        ["PIPELINE_LOG_OTLP"] = null,
        ["PIPELINE_LOG_ELASTICSEARCH_URL"] = null,
    };

    private async Task<(int? ExitCode, ChildProcess Process)> RunToExitAsync(string name, IEnumerable<string> arguments, string? input = null, Dictionary<string, string?>? environment = null)
    {
        var process = ChildProcess.Start(name, PipelineProcess.Executable, arguments, environment ?? CleanEnvironment, _directory);
        if (input is not null)
        {
            await process.WriteInputAndCloseAsync(input);
        }
        return (await process.WaitForExitAsync(ExitsWithin), process);
    }

    private static void AssertEveryLineIsJson(ChildProcess process)
    {
        var lines = process.StdoutLines.Concat(process.StderrLines).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            try
            {
                using var _ = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                Assert.Fail($"not a JSON line: {line}\n{process.Tail()}");
            }
        }
    }

    [Fact]
    public async Task A_taken_admin_port_is_one_json_error_line_naming_the_address_and_the_fix_and_exit_1()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var address = $"127.0.0.1:{((IPEndPoint)taken.LocalEndPoint!).Port}";
        // The embedded default, with its ingest port moved off 8080 so that only the admin port is in the way.
        var environment = new Dictionary<string, string?>(CleanEnvironment) { ["PIPELINE_HTTP_ADDRESS"] = "127.0.0.1:0" };

        var (exitCode, process) = await RunToExitAsync("admin-taken", ["run", "--admin-address", address], environment: environment);
        await using var _ = process;

        Assert.True(exitCode == 1, $"expected exit code 1, found {exitCode}:\n{process.Tail()}");
        AssertEveryLineIsJson(process);
        var errors = process.StdoutLines.Concat(process.StderrLines)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("level").GetString() is "Error" or "Fatal")
            .ToList();
        var error = Assert.Single(errors);
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains(address, message, StringComparison.Ordinal);
        Assert.Contains("--admin-address", message, StringComparison.Ordinal);
        Assert.Contains("PIPELINE_ADMIN_ADDRESS", message, StringComparison.Ordinal);
        Assert.Contains("admin.address", message, StringComparison.Ordinal);
        Assert.False(error.TryGetProperty("exception", out var exception) && exception.ValueKind != JsonValueKind.Null, "an expected failure carries no stack trace");
    }

    [Fact]
    public async Task An_invalid_config_at_run_is_json_lines_with_file_line_and_column_and_exit_78()
    {
        var config = Path.Combine(_directory, "bad.yaml");
        await File.WriteAllTextAsync(config, "sources:\n  in: {type: stdinn}\nsinks:\n  out: {type: blackhole, inputs: [in]}\n", TestContext.Current.CancellationToken);

        var (exitCode, process) = await RunToExitAsync("bad-config", ["run", config]);
        await using var _ = process;

        Assert.True(exitCode == 78, $"expected exit code 78, found {exitCode}:\n{process.Tail()}");
        AssertEveryLineIsJson(process);
        var first = JsonDocument.Parse(process.StderrLines.First()).RootElement;
        Assert.Equal((config, 2, 14), (first.GetProperty("file").GetString(), first.GetProperty("line").GetInt32(), first.GetProperty("column").GetInt32()));
    }

    [Fact]
    public async Task A_batch_run_whose_every_event_was_dead_lettered_exits_1_with_a_summary_naming_the_count_the_reason_and_the_file()
    {
        var config = Path.Combine(_directory, "batch.yaml");
        await File.WriteAllTextAsync(config, $$"""
            data_dir: {{Path.Combine(_directory, "data")}}
            admin: { address: "127.0.0.1:0" }
            sources:
              in: { type: stdin }
            sinks:
              out: { type: blackhole, inputs: [in] }
            """, TestContext.Current.CancellationToken);

        var (exitCode, process) = await RunToExitAsync("all-dead-lettered", ["run", config], input: "not json\nnor this\nnor that\n");
        await using var _ = process;

        Assert.True(exitCode == 1, $"expected exit code 1, found {exitCode}:\n{process.Tail()}");
        AssertEveryLineIsJson(process);
        var messages = process.StdoutLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("message").GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith("Run finished after ", StringComparison.Ordinal) && m.Contains("events in 3, sink deliveries 0, dead-lettered 3", StringComparison.Ordinal));
        var summary = Assert.Single(messages, m => m.StartsWith("Every event was dead-lettered", StringComparison.Ordinal));
        Assert.Contains("3 records for 3 events in", summary, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_directory, "data", "dead-letter.jsonl"), summary, StringComparison.Ordinal);
        Assert.Contains("the first: in: line 1: invalid JSON", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_run_that_delivered_exits_0_with_the_final_count()
    {
        var config = Path.Combine(_directory, "batch.yaml");
        await File.WriteAllTextAsync(config, $$"""
            data_dir: {{Path.Combine(_directory, "data")}}
            admin: { address: "127.0.0.1:0" }
            sources:
              in: { type: stdin }
            sinks:
              out: { type: blackhole, inputs: [in] }
            """, TestContext.Current.CancellationToken);

        var (exitCode, process) = await RunToExitAsync("batch-ok", ["run", config], input: "{\"a\":1}\nnot json\n");
        await using var _ = process;

        Assert.True(exitCode == 0, $"expected exit code 0, found {exitCode}:\n{process.Tail()}");
        Assert.Contains(process.StdoutLines, l => l.Contains("events in 2, sink deliveries 1, dead-lettered 1", StringComparison.Ordinal));
    }
}
