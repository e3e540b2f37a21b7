using System.Text;
using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// The file source with the real binary: killed with SIGKILL while its sink's backend is down and a disk buffer holds
/// what was read, restarted over the same data directory: every line reaches the backend, none twice.
/// </summary>
public sealed class FileTailCrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_kill_9_while_the_sink_is_down_loses_no_line_and_repeats_none_after_the_restart()
    {
        var logs = Path.Combine(Path.GetTempPath(), "pipeline-it-logs", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(logs);
        try
        {
            await using var backend = await HttpCollector.StartAsync(down: true);
            var yaml = $$"""
                name: it-file-tail
                data_dir: {data_dir}
                admin: { address: "{admin}" }
                sources:
                  tail: { type: file, include: ["{{logs}}/*.log"], glob_minimum_cooldown: 50ms, checkpoint_interval: 50ms }
                stages:
                  unwrap: { type: parse_json, inputs: [tail], field: .message, target: . }
                sinks:
                  backend:
                    type: http
                    inputs: [unwrap]
                    uri: {{backend.Address}}
                    retry_backoff: 20ms
                    retry_max_backoff: 500ms
                    timeout: 2s
                    buffer: { type: disk, max_size: 256MiB }
                """;
            WriteLines(Path.Combine(logs, "a.log"), 0, 1500);
            WriteLines(Path.Combine(logs, "b.log"), 1500, 1500);
            await using var first = await PipelineProcess.StartAsync("file-kill", yaml);
            var checkpoints = Path.Combine(first.DataDirectory, "checkpoints", "tail.json");

            // Every line read is on disk in the buffer once the checkpoint covers both files whole.
            await Poll.UntilAsync(() => Task.FromResult(CoversWholeFiles(checkpoints, logs)), covered => covered, TimeSpan.FromSeconds(60),
                $"a checkpoint covering both files\n{first.Tail()}", TimeSpan.FromMilliseconds(50));
            await first.KillAsync();
            Assert.Empty(backend.Lines);

            // Written while the pipeline is dead: read from the checkpoint on after the restart.
            WriteLines(Path.Combine(logs, "a.log"), 3000, 500);
            await using var second = await PipelineProcess.StartAsync("file-kill", yaml, restartIn: first.Directory);
            backend.Down = false;
            await Poll.UntilAsync(() => Task.FromResult(backend.Lines.Count), count => count >= 3500, TimeSpan.FromSeconds(60),
                $"3500 lines at the backend\n{second.Tail()}", TimeSpan.FromMilliseconds(100));

            var ids = backend.Lines.Select(IdOf).ToList();
            Assert.Equal(Enumerable.Range(0, 3500), ids.Order());
            Assert.Empty(second.DeadLetters());
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    private static void WriteLines(string path, int from, int count)
    {
        var text = new StringBuilder();
        for (var id = from; id < from + count; id++)
        {
            text.Append("{\"id\":").Append(id).Append(",\"message\":\"line ").Append(id).Append("\"}\n");
        }
        File.AppendAllText(path, text.ToString());
    }

    private static bool CoversWholeFiles(string checkpointFile, string logs)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(checkpointFile));
            var offsets = document.RootElement.GetProperty("files").EnumerateArray()
                .ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("offset").GetInt64());
            return Directory.GetFiles(logs, "*.log").All(path => offsets.TryGetValue(path, out var offset) && offset == new FileInfo(path).Length);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return false;
        }
    }

    private static int IdOf(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("id").GetInt32();
    }
}
