using System.Text.Json;

namespace Pipeline.Tests.EndToEnd;

/// <summary>Whole topologies loaded from YAML with the built-in components, run to completion.</summary>
public sealed class YamlTopologyTests : IDisposable
{
    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Generator_to_file_through_parse_filter_and_remap_delivers_every_kept_event()
    {
        var config = _harness.Load("""
            name: e2e
            data_dir: {dir}
            sources:
              gen: { type: generator, count: 2000, seed: 11, shape: docker_json }
            stages:
              parse: { type: parse_json, inputs: [gen], field: .log, target: ., drop_source: true, isolates: 2 }
              errors: { type: filter, inputs: [parse], condition: '.level == "error"', isolates: 2 }
              tidy:
                type: remap
                inputs: [errors]
                rename: { .duration_ms: .latency_ms }
                set: { .summary: "{{ .method }} {{ .path }}" }
            sinks:
              out: { type: file, inputs: [tidy], path: "{dir}/out.ndjson" }
            """);

        await using (var topology = _harness.Build(config))
        {
            await topology.StartAsync(TestContext.Current.CancellationToken);
            await topology.Completion.WaitAsync(EndToEndHarness.HangGuard, TestContext.Current.CancellationToken);
            var report = await topology.StopAsync(TimeSpan.FromSeconds(10));
            Assert.True(report.Drained);

            var lines = File.ReadAllLines(_harness.PathOf("out.ndjson"));
            var nodes = topology.Snapshot().Nodes.ToDictionary(n => n.Id);
            Assert.Equal(2000, nodes["gen"].Sent);
            Assert.Equal(2000, nodes["errors"].Received);
            Assert.InRange(lines.Length, 1, 1999);
            Assert.Equal(lines.Length, nodes["out"].Sent);
            Assert.Equal(2000 - lines.Length, nodes["errors"].Discarded);
            foreach (var line in lines)
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                Assert.Equal("error", root.GetProperty("level").GetString());
                Assert.False(root.TryGetProperty("log", out _));
                Assert.False(root.TryGetProperty("duration_ms", out _));
                Assert.True(root.GetProperty("latency_ms").GetDouble() >= 0);
                Assert.Equal($"{root.GetProperty("method").GetString()} {root.GetProperty("path").GetString()}", root.GetProperty("summary").GetString());
            }
        }
    }

    [Fact]
    public async Task Route_outputs_fan_out_and_fan_in_by_name()
    {
        var config = _harness.Load("""
            name: e2e
            data_dir: {dir}
            sources:
              gen: { type: generator, count: 1000, seed: 3 }
            stages:
              split:
                type: route
                inputs: [gen]
                routes:
                  errors: '.status >= 500'
                  ok: '.status < 400'
            sinks:
              errors: { type: file, inputs: [split.errors], path: "{dir}/errors.ndjson" }
              rest: { type: file, inputs: [split.ok, split._unmatched], path: "{dir}/rest.ndjson" }
              all: { type: blackhole, inputs: [gen] }
            """);

        await using var topology = _harness.Build(config);
        await topology.StartAsync(TestContext.Current.CancellationToken);
        await topology.Completion.WaitAsync(EndToEndHarness.HangGuard, TestContext.Current.CancellationToken);
        await topology.StopAsync(TimeSpan.FromSeconds(10));

        var errors = File.ReadAllLines(_harness.PathOf("errors.ndjson")).Select(Status).ToList();
        var rest = File.ReadAllLines(_harness.PathOf("rest.ndjson")).Select(Status).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, s => Assert.True(s >= 500));
        Assert.All(rest, s => Assert.True(s < 500));
        Assert.Equal(1000, errors.Count + rest.Count);
        Assert.Equal(1000, topology.Snapshot().Nodes.Single(n => n.Id == "all").Sent);
    }

    [Fact]
    public async Task Bad_events_are_dead_lettered_with_their_reason_and_the_rest_flow_on()
    {
        var input = string.Join('\n',
            """{"log":"{\"level\":\"info\"}"}""",
            """{"log":"not json at all"}""",
            """{"nolog":true}""",
            """{"log":"{\"level\":\"warn\"}"}""") + "\n";
        var catalog = BuiltInComponents.Create()
            .AddSource<StdinTestOptions>("stdin_bytes", "test", (_, _) => new StreamSourceFactory(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(input))));
        var config = _harness.Load("""
            name: e2e
            data_dir: {dir}
            sources:
              in: { type: stdin_bytes }
            stages:
              parse: { type: parse_json, inputs: [in], field: .log, target: . }
            sinks:
              out: { type: file, inputs: [parse], path: "{dir}/out.ndjson" }
            """, catalog);

        await using var topology = _harness.Build(config);
        await topology.StartAsync(TestContext.Current.CancellationToken);
        await topology.Completion.WaitAsync(EndToEndHarness.HangGuard, TestContext.Current.CancellationToken);
        await topology.StopAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, File.ReadAllLines(_harness.PathOf("out.ndjson")).Length);
        var deadLetters = File.ReadAllLines(_harness.PathOf("dead-letter.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, deadLetters.Count);
        Assert.All(deadLetters, d => Assert.Equal("parse", d.GetProperty("component_id").GetString()));
        Assert.Contains(deadLetters, d => d.GetProperty("reason").GetString()!.Contains("JSON", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(deadLetters, d => d.GetProperty("reason").GetString()!.Contains(".log", StringComparison.Ordinal));
        Assert.Equal(2, topology.Snapshot().Nodes.Single(n => n.Id == "parse").DeadLettered);
    }

    [Theory]
    [InlineData("stages:\n  keep: { type: filter, inputs: [in], condition: '.level != \"debug\"', isolates: 2 }\nsinks:\n  out: { type: file, inputs: [keep], path: \"{dir}/out.ndjson\" }", "keep")]
    [InlineData("stages:\n  keep: { type: filter, inputs: [in], condition: '.level != \"debug\"', isolates: 2, router: key_affinity, key: .level }\nsinks:\n  out: { type: file, inputs: [keep], path: \"{dir}/out.ndjson\" }", "in")]
    [InlineData("sinks:\n  out: { type: file, inputs: [in], path: \"{dir}/out.ndjson\" }", "in")]
    public async Task Stdin_lines_are_parsed_by_the_stage_they_feed_or_else_by_the_source_and_a_bad_line_is_dead_lettered_once_either_way(
        string rest, string parsedBy)
    {
        // Feeding stages only, the source hands lines on as text and the stage's isolates parse them; feeding a sink,
        // or a stage routed by a field, it parses them itself. Either way the same events come out, and an invalid
        // line is dead-lettered once, with its line number and text, by whichever parsed it.
        var lines = Enumerable.Range(0, 300).Select(i => i == 2 ? """{"level":"info","n":""" : $$"""{"level":"{{(i % 3 == 0 ? "debug" : "info")}}","n":{{i}}}""").ToList();
        var catalog = BuiltInComponents.Create()
            .AddSource<StdinTestOptions>("stdin_bytes", "test", (_, _) => new StreamSourceFactory(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"))));
        var config = _harness.Load("name: e2e\ndata_dir: {dir}\nsources:\n  in: { type: stdin_bytes }\n" + rest + "\n", catalog);

        await using var topology = _harness.Build(config);
        await topology.StartAsync(TestContext.Current.CancellationToken);
        await topology.Completion.WaitAsync(EndToEndHarness.HangGuard, TestContext.Current.CancellationToken);
        await topology.StopAsync(TimeSpan.FromSeconds(10));

        var filtered = rest.Contains("filter", StringComparison.Ordinal);
        var expected = lines.Where((line, i) => i != 2 && !(filtered && line.Contains("debug", StringComparison.Ordinal))).Order(StringComparer.Ordinal);
        Assert.Equal(expected, File.ReadAllLines(_harness.PathOf("out.ndjson")).Order(StringComparer.Ordinal));
        var deadLetter = Assert.Single(File.ReadAllLines(_harness.PathOf("dead-letter.jsonl")).Select(l => JsonDocument.Parse(l).RootElement));
        Assert.Equal(parsedBy, deadLetter.GetProperty("component_id").GetString());
        Assert.Equal("in", deadLetter.GetProperty("source_id").GetString());
        Assert.StartsWith("line 3: invalid JSON", deadLetter.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(lines[2], deadLetter.GetProperty("raw").GetString());
        Assert.Equal(1, topology.Snapshot().Nodes.Single(n => n.Id == parsedBy).Errors);
    }

    private static int Status(string line) => JsonDocument.Parse(line).RootElement.GetProperty("status").GetInt32();

    public sealed class StdinTestOptions;

    /// <summary>The real stdin source reading NDJSON from a stream the test supplies.</summary>
    private sealed class StreamSourceFactory(Stream input) : Pipeline.Components.ISourceFactory
    {
        public Pipeline.Components.ISource Create() => new Pipeline.Sources.StdinSource(input, 1 << 20);
    }
}
