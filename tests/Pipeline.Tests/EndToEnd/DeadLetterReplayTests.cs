using System.Net;
using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Host;

namespace Pipeline.Tests.EndToEnd;

/// <summary><c>pipeline dead-letter replay</c>: the events a sink rejected come back, with their trace, once each.</summary>
public sealed class DeadLetterReplayTests : IDisposable
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replay_re_injects_each_rejected_event_once_with_its_trace_and_reports_where_they_went()
    {
        var backend = new SwitchableBackend { Rejecting = true };
        var catalog = CatalogWith(backend);
        var port = EndToEndHarness.FreePort();
        var file = _harness.PathOf("replay.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: replay
            data_dir: {{_harness.Directory}}
            shutdown_timeout: 10s
            sources:
              ingest: { type: http, address: "127.0.0.1:{{port}}" }
            stages:
              keep: { type: filter, inputs: [ingest], condition: '.n >= 0' }
            sinks:
              out: { type: backend, inputs: [keep] }
            """, Ct);
        await using (var service = _harness.Build(Pipeline.Config.ConfigLoader.LoadFile(file, catalog)))
        {
            await service.StartAsync(Ct);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            Assert.Equal(HttpStatusCode.OK, await PostAsync(http, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\nnot json\n"));
            Assert.True((await service.StopAsync(TimeSpan.FromSeconds(10))).Drained);
        }
        var records = DeadLetters();
        Assert.Equal(4, records.Count);
        Assert.All(records.Where(r => r.TryGetProperty("event", out _)), r => Assert.StartsWith($"00-{TraceId}-", r.GetProperty("traceparent").GetString()));

        // Still rejected: each comes back as a new record, with the same trace.
        var (exit, output) = await ReplayAsync(file, catalog);
        Assert.Equal(0, exit);
        Assert.Contains("replayed 3: 3 to out", output);
        Assert.Contains("skipped 1: raw input", output);
        Assert.Contains("dead-lettered again: 3", output);
        var again = DeadLetters().Skip(4).ToList();
        Assert.Equal(3, again.Count);
        Assert.All(again, r => Assert.Equal(TraceId, r.GetProperty("trace_id").GetString()));

        // Fixed: only the three new records are replayed, and delivered once each.
        backend.Rejecting = false;
        (exit, output) = await ReplayAsync(file, catalog);
        Assert.Equal(0, exit);
        Assert.Contains("replayed 3: 3 to out", output);
        Assert.Contains("skipped 3: already replayed", output);
        Assert.Equal([1, 2, 3], backend.Delivered.Order());

        (exit, output) = await ReplayAsync(file, catalog);
        Assert.Equal(0, exit);
        Assert.Contains("replayed 0", output);
        Assert.Contains("skipped 6: already replayed", output);
        Assert.Equal(3, backend.Delivered.Count);
    }

    [Fact]
    public async Task Replay_for_one_sink_and_since_a_time_leaves_the_other_records_for_later()
    {
        var backend = new SwitchableBackend();
        var catalog = CatalogWith(backend);
        var file = await WriteConfigAsync("""
              out: { type: backend, inputs: [ingest] }
              other: { type: backend, inputs: [ingest] }
            """);
        await File.WriteAllLinesAsync(Path.Combine(_harness.Directory, "dead-letter.jsonl"),
        [
            """{"timestamp":"2026-12-01T00:00:00Z","pipeline":"replay","component_id":"out","reason":"x","attempts":1,"source_id":"ingest","event":{"n":1}}""",
            """{"timestamp":"2026-12-04T00:00:00Z","pipeline":"replay","component_id":"out","reason":"x","attempts":1,"source_id":"ingest","event":{"n":2}}""",
            """{"timestamp":"2026-12-04T00:00:00Z","pipeline":"replay","component_id":"other","reason":"x","attempts":1,"source_id":"ingest","event":{"n":3}}""",
        ], Ct);

        var (exit, output) = await ReplayAsync(file, catalog, "--sink", "out", "--since", "2026-12-02T00:00:00Z");

        Assert.Equal(0, exit);
        Assert.Contains("replayed 1: 1 to out", output);
        Assert.Contains("skipped 1: before --since", output);
        Assert.Contains("skipped 1: from another component than --sink out", output);
        Assert.Equal([2], backend.Delivered);

        (exit, output) = await ReplayAsync(file, catalog, "--sink", "ingest");

        Assert.Equal(1, exit);
        Assert.Contains("error: --sink expected a stage or sink of", output);
        Assert.Contains("(out, other), found 'ingest'", output);
    }

    [Fact]
    public async Task A_dead_letter_file_moved_aside_and_begun_afresh_has_its_new_records_replayed_where_old_ones_were()
    {
        var backend = new SwitchableBackend();
        var catalog = CatalogWith(backend);
        var file = await WriteConfigAsync("""
              out: { type: backend, inputs: [ingest] }
            """);
        var deadLetters = Path.Combine(_harness.Directory, "dead-letter.jsonl");
        string Record(int n) => $$$"""{"timestamp":"2026-12-04T00:00:00Z","pipeline":"replay","component_id":"out","reason":"x","attempts":1,"source_id":"ingest","event":{"n":{{{n}}}}}""";
        await File.WriteAllLinesAsync(deadLetters, [Record(1), Record(2)], Ct);
        Assert.Contains("replayed 2: 2 to out", (await ReplayAsync(file, catalog)).Output);

        // The operator moves the file aside; the service starts a new one, whose records sit at the same offsets.
        File.Move(deadLetters, deadLetters + ".old");
        await File.WriteAllLinesAsync(deadLetters, [Record(3), Record(4)], Ct);
        var (exit, output) = await ReplayAsync(file, catalog);

        Assert.Equal(0, exit);
        Assert.Contains("replayed 2: 2 to out", output);
        Assert.Equal([1, 2, 3, 4], backend.Delivered.Order());
    }

    [Fact]
    public async Task A_large_file_is_read_as_it_was_when_the_replay_began_and_what_fails_again_is_left_for_the_next_one()
    {
        var backend = new SwitchableBackend { Rejecting = true };
        var catalog = CatalogWith(backend);
        var file = await WriteConfigAsync("""
              out: { type: backend, inputs: [ingest] }
            """);
        // Far more than one read of the file: the replay appends what fails again while it is still reading.
        const int Records = 3000;
        await File.WriteAllLinesAsync(Path.Combine(_harness.Directory, "dead-letter.jsonl"), Enumerable.Range(0, Records).Select(n =>
            $$$"""{"timestamp":"2026-12-04T00:00:00Z","pipeline":"replay","component_id":"out","reason":"x","attempts":1,"source_id":"ingest","event":{"n":{{{n}}},"text":"{{{new string('x', 100)}}}"}}"""), Ct);

        var (exit, output) = await ReplayAsync(file, catalog);

        Assert.Equal(0, exit);
        Assert.Contains($"replayed {Records}: {Records} to out", output);
        Assert.Contains($"dead-lettered again: {Records}", output);
        Assert.Equal(2 * Records, DeadLetters().Count);

        backend.Rejecting = false;
        (exit, output) = await ReplayAsync(file, catalog);

        Assert.Equal(0, exit);
        Assert.Contains($"replayed {Records}: {Records} to out", output);
        Assert.Equal(Enumerable.Range(0, Records), backend.Delivered.Order());
    }

    [Theory]
    [InlineData("buffer: { type: disk, max_size: 1MiB }")]
    [InlineData("when_full: drop_newest")]
    [InlineData("buffer: { type: memory, when_full: drop_newest }")]
    public async Task Replay_beside_the_service_leaves_the_sinks_disk_buffer_alone_and_waits_for_room_instead_of_dropping(string sinkSettings)
    {
        var backend = new SwitchableBackend { HoldFirstBatch = true };
        var catalog = CatalogWith(backend);
        var file = await WriteConfigAsync($$"""
              out: { type: backend, inputs: [ingest], mailbox: 1, batch_size: 1, {{sinkSettings}} }
            """);
        await File.WriteAllLinesAsync(Path.Combine(_harness.Directory, "dead-letter.jsonl"), Enumerable.Range(0, 200).Select(n =>
            $$$"""{"timestamp":"2026-12-04T00:00:00Z","pipeline":"replay","component_id":"out","reason":"x","attempts":1,"source_id":"ingest","event":{"n":{{{n}}}}}"""), Ct);

        var replay = ReplayAsync(file, catalog);
        await backend.FirstBatchArrived.WaitAsync(EndToEndHarness.HangGuard, Ct);
        // Time for the other 199 to pile up behind the held batch: with drop_newest they would be dropped by now.
        await Task.Delay(100, Ct);
        backend.ReleaseFirstBatch();
        var (exit, output) = await replay;

        Assert.Equal(0, exit);
        Assert.Contains("replayed 200: 200 to out", output);
        Assert.Equal(Enumerable.Range(0, 200), backend.Delivered.Order());
        // The service's disk buffer (data_dir/buffers/out) was never opened by the replay.
        Assert.False(Directory.Exists(Path.Combine(_harness.Directory, "buffers")));
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string ndjson)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var content = new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = content };
                request.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");
                using var response = await http.SendAsync(request, Ct);
                return response.StatusCode;
            }
            catch (HttpRequestException) when (attempt < 200)
            {
                await Task.Delay(25, Ct);
            }
        }
    }

    private static ComponentCatalog CatalogWith(SwitchableBackend backend)
        => BuiltInComponents.Create().AddSink<NoOptions>("backend", "delivers unless told to reject", (_, _) => backend);

    /// <summary>A topology whose source is never started (replay does not start sources) and whose sinks are <paramref name="sinks"/>.</summary>
    private async Task<string> WriteConfigAsync(string sinks)
    {
        var file = _harness.PathOf("replay.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: replay
            data_dir: {{_harness.Directory}}
            sources:
              ingest: { type: http, address: "127.0.0.1:0" }
            sinks:
            {{sinks}}
            """, Ct);
        return file;
    }

    private static async Task<(int ExitCode, string Output)> ReplayAsync(string file, ComponentCatalog catalog, params string[] more)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await Cli.RunAsync(["dead-letter", "replay", "--config", file, .. more], stdout, stderr, catalog, Ct).WaitAsync(EndToEndHarness.HangGuard, Ct);
        return (exit, stdout + stderr.ToString());
    }

    private List<JsonElement> DeadLetters()
        => [.. File.ReadAllLines(Path.Combine(_harness.Directory, "dead-letter.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    public sealed class NoOptions;

    /// <summary>A backend that rejects every batch (a permanent failure) while told to, and records what it accepts.</summary>
    private sealed class SwitchableBackend : ISinkFactory, ISink
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<int> _delivered = new();

        private readonly TaskCompletionSource _firstBatch = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile bool Rejecting;

        /// <summary>Set: the first batch waits for <see cref="ReleaseFirstBatch"/>, so the events behind it pile up.</summary>
        public bool HoldFirstBatch { get; init; }

        public Task FirstBatchArrived => _firstBatch.Task;

        public IReadOnlyList<int> Delivered => [.. _delivered];

        public void ReleaseFirstBatch() => _release.TrySetResult();

        public ISink CreateForIsolate(int isolateIndex) => this;

        public async ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
        {
            if (HoldFirstBatch && _firstBatch.TrySetResult())
            {
                await _release.Task.WaitAsync(cancellationToken);
            }
            if (Rejecting)
            {
                throw new PermanentFailureException("400 Bad Request: mapper_parsing_exception");
            }
            foreach (var evt in batch)
            {
                _delivered.Enqueue(evt.Get(FieldPath.Parse(".n")).TryGetInt64(out var n) ? (int)n : -1);
            }
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
