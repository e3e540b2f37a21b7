using System.Diagnostics;
using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// A script stage in the real binary, with events that run away: the native V8 runtime must stop them and the process
/// must carry on, which only a child process can show (a V8 that aborted would take a test host down with it).
/// </summary>
public sealed class ScriptProcessTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(90);

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-it-script-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("v8")]
    [InlineData("jint")]
    public async Task Events_that_loop_forever_or_blow_the_heap_are_dead_lettered_and_the_process_delivers_the_rest(string engine)
    {
        var config = Path.Combine(_directory, "pipeline.yaml");
        var data = Path.Combine(_directory, "data");
        await File.WriteAllTextAsync(config, $$"""
            data_dir: {{data}}
            admin: { address: "127.0.0.1:0" }
            sources:
              in: { type: stdin }
            stages:
              js:
                type: script
                inputs: [in]
                engine: {{engine}}
                cpu_time_limit: 300ms
                heap_limit: 32MiB
                source: |
                  function process(event, emit) {
                    if (event.kind === "spin") { for (;;) {} }
                    if (event.kind === "hog") { const hoard = []; for (;;) { hoard.push(new Array(100000).fill(0.5)); } }
                    event.ok = true;
                    emit(event);
                  }
            sinks:
              out: { type: stdout, inputs: [js] }
            """, TestContext.Current.CancellationToken);
        var input = string.Concat(Enumerable.Range(1, 30).Select(n => n switch
        {
            10 => """{"n":10,"kind":"spin"}""" + "\n",
            20 => """{"n":20,"kind":"hog"}""" + "\n",
            _ => $$"""{"n":{{n}}}""" + "\n",
        }));
        var (exitCode, stdout, log) = await StdinRun.RunAsync(config, input, _directory, HangGuard);

        // Exit code 0 or the one for "some events were dead-lettered", never a signal's (134 abort, 139 segfault).
        Assert.True(exitCode is 0 or 1 or 2, $"exit code {exitCode}; log:\n{log}");
        var delivered = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("n").GetInt32()).Order().ToList();
        Assert.Equal([.. Enumerable.Range(1, 30).Where(n => n is not 10 and not 20)], delivered);
        var deadLetters = File.ReadAllLines(Path.Combine(data, "dead-letter.jsonl")).Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(r => r.GetProperty("event").GetProperty("n").GetInt32(), r => r.GetProperty("reason").GetString()!);
        Assert.Equal([10, 20], deadLetters.Keys.Order());
        Assert.Contains("cpu_time_limit (300 ms", deadLetters[10], StringComparison.Ordinal);
        Assert.Contains("heap_limit (32 MiB)", deadLetters[20], StringComparison.Ordinal);
    }
}
