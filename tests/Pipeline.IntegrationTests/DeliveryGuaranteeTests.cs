using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// Nothing acknowledged is lost: the real binary as a child process, killed with SIGKILL or stopped with SIGTERM
/// while its sink's backend is down, restarted over the same data directory, and every event counted by id at the
/// backend once it is up.
/// </summary>
public sealed class DeliveryGuaranteeTests
{
    private const int Requests = 20;
    private const int EventsPerRequest = 100;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Topology(int ingestPort, Uri backend, string buffer, string shutdownTimeout = "30s", bool acknowledgements = true, int mailbox = 1024) => $$"""
        name: it-delivery
        data_dir: {data_dir}
        shutdown_timeout: {{shutdownTimeout}}
        admin: { address: "{admin}" }
        sources:
          ingest: { type: http, address: "127.0.0.1:{{ingestPort}}", acknowledgements: {{(acknowledgements ? "true" : "false")}}, acknowledgements_timeout: 20s, backpressure_timeout: 100ms }
        stages:
          keep: { type: filter, inputs: [ingest], condition: '.id >= 0', mailbox: {{mailbox}} }
        sinks:
          backend:
            type: http
            inputs: [keep]
            uri: {{backend}}
            retry_backoff: 20ms      # max_attempts left at its default: a sink retries an outage until the backend is back
            retry_max_backoff: 500ms
            timeout: 2s
            buffer: {{buffer}}
        """;

    [Fact]
    public async Task Events_acknowledged_before_a_kill_9_are_all_delivered_after_the_restart()
    {
        await using var backend = await HttpCollector.StartAsync(down: true);
        var ingestPort = FreePort.Next();
        var yaml = Topology(ingestPort, backend.Address, "{ type: disk, max_size: 256MiB }");
        await using var first = await PipelineProcess.StartAsync("delivery-kill", yaml);

        var acknowledged = await PostAcknowledgedAsync(ingestPort);
        await first.KillAsync();

        Assert.Equal(Requests * EventsPerRequest, acknowledged);
        Assert.True(backend.Refused > 0, "the sink never tried the backend while it was down");
        Assert.Empty(backend.Lines);
        await using var second = await PipelineProcess.StartAsync("delivery-kill", yaml, restartIn: first.Directory);
        backend.Down = false;
        var ids = await AllDeliveredAsync(backend, second);

        Assert.Equal(Enumerable.Range(0, acknowledged), ids.Distinct().Order());
        // Nothing was delivered before the kill (the backend was down), so the restart had nothing to deliver twice.
        Assert.Equal(acknowledged, ids.Count);
        Assert.Empty(second.DeadLetters());
    }

    [Fact]
    public async Task A_sigterm_with_the_backend_down_exits_within_the_shutdown_timeout_and_the_next_start_delivers_everything()
    {
        await using var backend = await HttpCollector.StartAsync(down: true);
        var ingestPort = FreePort.Next();
        var yaml = Topology(ingestPort, backend.Address, "{ type: disk, max_size: 256MiB }", shutdownTimeout: "2s");
        await using var first = await PipelineProcess.StartAsync("delivery-term", yaml);
        var acknowledged = await PostAcknowledgedAsync(ingestPort);

        var clock = Stopwatch.StartNew();
        var exitCode = await first.StopAsync(TimeSpan.FromSeconds(20));
        clock.Stop();

        Assert.NotNull(exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2 + 8), $"took {clock.Elapsed} to exit with a 2s shutdown_timeout");
        Assert.Empty(first.DeadLetters());
        Assert.Contains(first.LogLines(), l => l.GetProperty("message").GetString()!.Contains("stay in its disk buffer", StringComparison.Ordinal));
        await using var second = await PipelineProcess.StartAsync("delivery-term", yaml, restartIn: first.Directory);
        backend.Down = false;
        var ids = await AllDeliveredAsync(backend, second);

        Assert.Equal(Enumerable.Range(0, acknowledged), ids.Distinct().Order());
        Assert.Equal(acknowledged, ids.Count);
    }

    [Fact]
    public async Task A_backend_outage_under_steady_load_loses_nothing_with_a_disk_buffer()
        => await OutageUnderLoadAsync("{ type: disk, max_size: 256MiB }", acknowledgements: true);

    [Fact]
    public async Task A_backend_outage_under_steady_load_pushes_back_as_429_with_a_memory_buffer_and_loses_nothing_accepted()
        => await OutageUnderLoadAsync("{ type: memory, max_events: 200 }", acknowledgements: false);

    /// <summary>
    /// Steady load in small requests while the backend is up, down for a few seconds, then up again. Every request is
    /// answered; each one answered 200 must have all its events at the backend in the end, and no other event is.
    /// With acknowledgements a request's answer waits for its events (the clients slow down with the backend); without,
    /// a memory buffer fills and backpressure reaches the clients as 429.
    /// </summary>
    private static async Task OutageUnderLoadAsync(string buffer, bool acknowledgements)
    {
        // Small mailboxes: what the pipeline holds during the outage is a few requests' worth, so backpressure reaches the
        // clients after a few requests even when a busy machine slows them to one a second (the filter's default mailbox
        // of 1,024 plus the sink's buffer took more requests than a starved client sent in twenty seconds).
        const int OutageMailbox = 50;
        var expectBackpressure = !acknowledgements;
        await using var backend = await HttpCollector.StartAsync();
        var ingestPort = FreePort.Next();
        await using var pipeline = await PipelineProcess.StartAsync("delivery-outage", Topology(ingestPort, backend.Address, buffer, acknowledgements: acknowledgements, mailbox: OutageMailbox));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingestPort}"), Timeout = TimeSpan.FromSeconds(60) };
        var accepted = new List<int>();
        var statuses = new Dictionary<HttpStatusCode, int>();
        var next = 0;
        // The outage follows the load, not the clock: a busy machine (CI runs the suites side by side on two cores)
        // may stretch any wall-clock schedule until the outage misses the load. It starts once requests are being
        // accepted, lasts at least three seconds and, where backpressure is expected, until a 429 reached a client;
        // the load goes on until it is over, then a little longer, so the backlog drains under load too.
        var loadRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pushedBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outage = Task.Run(async () =>
        {
            await loadRunning.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            backend.Down = true;
            await Task.Delay(TimeSpan.FromSeconds(3), Ct);
            if (expectBackpressure)
            {
                // Bounded: if backpressure never reaches the clients, the assertion below says so.
                await Task.WhenAny(pushedBack.Task, Task.Delay(TimeSpan.FromSeconds(20), Ct));
            }
            backend.Down = false;
        }, Ct);
        // Two clients, 50 events per request, bounded in time: until a second after the outage, 40 s at most.
        var deadline = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var after = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(40))
            {
                if (!outage.IsCompleted)
                {
                    after.Restart();
                }
                else if (after.Elapsed > TimeSpan.FromSeconds(1))
                {
                    break;
                }
                int first;
                lock (accepted)
                {
                    first = next;
                    next += 50;
                }
                var ids = Enumerable.Range(first, 50).ToList();
                var status = await PostAsync(http, ids);
                lock (accepted)
                {
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    if (status == HttpStatusCode.OK)
                    {
                        accepted.AddRange(ids);
                        if (accepted.Count >= 1_000)
                        {
                            loadRunning.TrySetResult();
                        }
                    }
                }
                if (status == HttpStatusCode.TooManyRequests)
                {
                    pushedBack.TrySetResult();
                    await Task.Delay(50, Ct);
                }
            }
        }, Ct)).ToList();
        await Task.WhenAll(clients);
        await outage;

        Assert.True(backend.Refused > 0, "the outage never reached the sink");
        Assert.All(statuses.Keys, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        if (expectBackpressure)
        {
            Assert.True(statuses.GetValueOrDefault(HttpStatusCode.TooManyRequests) > 0, $"no 429 reached the clients: {string.Join(", ", statuses)}");
        }
        var delivered = await AllDeliveredAsync(backend, pipeline, accepted.Count);
        Assert.Equal(accepted.Order(), delivered.Distinct().Order());
        Assert.Empty(pipeline.DeadLetters());
    }

    /// <summary>Posts the requests one by one, each answered only once its events are durably buffered; the events acknowledged.</summary>
    private static async Task<int> PostAcknowledgedAsync(int ingestPort)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingestPort}"), Timeout = TimeSpan.FromSeconds(60) };
        var acknowledged = 0;
        for (var request = 0; request < Requests; request++)
        {
            var status = await PostAsync(http, Enumerable.Range(request * EventsPerRequest, EventsPerRequest));
            Assert.Equal(HttpStatusCode.OK, status);
            acknowledged += EventsPerRequest;
        }
        return acknowledged;
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, IEnumerable<int> ids)
    {
        var body = new StringBuilder();
        foreach (var id in ids)
        {
            body.Append("{\"id\":").Append(id).Append(",\"message\":\"event ").Append(id).Append("\"}\n");
        }
        using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson");
        using var response = await http.PostAsync("/v1/events", content, Ct);
        return response.StatusCode;
    }

    /// <summary>Waits until the backend holds at least <paramref name="expected"/> distinct ids (all the requests' by default); every id it got, duplicates included.</summary>
    private static async Task<List<int>> AllDeliveredAsync(HttpCollector backend, PipelineProcess pipeline, int expected = Requests * EventsPerRequest)
    {
        await Poll.UntilAsync(
            () => Task.FromResult(backend.Lines.Select(IdOf).Distinct().Count()),
            count => count >= expected,
            TimeSpan.FromSeconds(60),
            $"{expected} distinct ids at the backend\n{pipeline.Tail()}",
            TimeSpan.FromMilliseconds(100));
        return [.. backend.Lines.Select(IdOf)];
    }

    private static int IdOf(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("id").GetInt32();
    }
}
