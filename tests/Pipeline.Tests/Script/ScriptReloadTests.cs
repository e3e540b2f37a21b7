using System.Text.Json;
using Pipeline.Processors.Script;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Script;

public sealed class ScriptReloadTests
{
    [Fact]
    public async Task Changing_the_script_file_switches_every_isolate_at_a_batch_boundary_without_losing_events()
    {
        var file = Path.Combine(Path.GetTempPath(), $"pipeline-reload-{Guid.NewGuid():N}", "enrich.js");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, Version(1), TestContext.Current.CancellationToken);
        try
        {
            await using var stage = new ScriptStage(new ScriptConfig { File = file }, isolates: 2);
            await stage.RunAsync(complete: false);
            AddEvents(stage, 1, 10);
            await TestWaits.UntilAsync(() => stage.Delivered().Count == 10);

            await File.WriteAllTextAsync(file, Version(2), TestContext.Current.CancellationToken);
            await TestWaits.UntilAsync(() => stage.Factory.Current.Version == 2);
            AddEvents(stage, 11, 20);
            await TestWaits.UntilAsync(() => stage.Delivered().Count == 20);

            // A change that does not parse is refused; version 2 keeps running.
            await File.WriteAllTextAsync(file, "function process(event, emit) { emit(event) ", TestContext.Current.CancellationToken);
            await TestWaits.UntilAsync(() => stage.Counter("pipeline_script_reloads_total", "result=\"rejected\"") == 1);
            AddEvents(stage, 21, 30);
            await stage.FinishAsync();

            var versionOf = stage.Delivered().Select(d => JsonDocument.Parse(d).RootElement)
                .ToDictionary(e => e.GetProperty("n").GetInt32(), e => e.GetProperty("version").GetInt32());
            Assert.Equal(Enumerable.Range(1, 30), versionOf.Keys.Order());
            Assert.All(Enumerable.Range(1, 10), n => Assert.Equal(1, versionOf[n]));
            Assert.All(Enumerable.Range(11, 20), n => Assert.Equal(2, versionOf[n]));
            Assert.Empty(stage.DeadLetters());
            Assert.Equal(1, stage.Counter("pipeline_script_reloads_total", "result=\"applied\""));
            var switched = stage.Log.Events.Where(e => e.MessageTemplate.Text.Contains("runs version {Version}", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, switched.Count);
            Assert.Contains(stage.Log.Events, e => e.RenderMessage().Contains($"{file}:1:", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    private static string Version(int version) => $$"""
        function process(event, emit) {
          event.version = {{version}};
          emit(event);
        }
        """;

    private static void AddEvents(ScriptStage stage, int from, int to)
    {
        for (var n = from; n <= to; n++)
        {
            stage.Add($$"""{"n":{{n}}}""");
        }
    }
}
