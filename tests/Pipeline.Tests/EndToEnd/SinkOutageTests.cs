using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Tests.Io;

namespace Pipeline.Tests.EndToEnd;

/// <summary>
/// The operator's report, scaled down: a backend outage under steady load used to dead-letter most events after three
/// attempts; with the default settings the sink now waits it out and backpressure builds behind it.
/// </summary>
public sealed class SinkOutageTests : IDisposable
{
    /// <summary>The "60 s outage", scaled down: long enough for a batch to fail far more than 3 times.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(2.5);

    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_backend_answering_503_for_a_while_under_steady_load_is_waited_out_nothing_dead_lettered_each_event_delivered_once()
    {
        await using var backend = await CapturingHttpServer.StartAsync();
        var load = new SteadyLoad();
        var catalog = BuiltInComponents.Create().AddSource<NoOptions>("steady", "numbered events until told to stop", (_, _) => new SourceFactory(() => load));
        // max_attempts and retry_max_elapsed left at their defaults; the short backoff cap only keeps the recovery quick.
        var config = _harness.Load($$"""
            name: outage
            data_dir: {dir}
            shutdown_timeout: 20s
            sources:
              load: { type: steady }
            sinks:
              out: { type: http, inputs: [load], uri: "{{backend.Uri}}", mailbox: 64, batch_size: 16, retry_max_backoff: 200ms }
            """, catalog);
        await using var topology = _harness.Build(config);
        await topology.StartAsync(Ct);
        await UntilAsync(() => DeliveredIds(backend).Count >= 500, "deliveries before the outage");

        backend.StatusToAnswer = 503;
        var outage = Stopwatch.StartNew();
        var refusedBefore = load.Refused;
        await UntilAsync(() => outage.Elapsed >= Outage && load.Refused > refusedBefore, "the outage's length, with backpressure at the source");
        backend.StatusToAnswer = 200;
        var sentDuringOutage = load.Sent;
        // The load goes on after the outage: the backlog and new events alike get through.
        await UntilAsync(() => DeliveredIds(backend).Count >= sentDuringOutage + 1000, "deliveries after the outage");
        load.Stop();
        await UntilAsync(() => load.Stopped && DeliveredIds(backend).Count >= load.Sent, "every event sent delivered");
        var report = await topology.StopAsync(TimeSpan.FromSeconds(20)).WaitAsync(EndToEndHarness.HangGuard, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"sent {load.Sent}, refused for backpressure {load.Refused}, 503 answers {Answered(backend, 503)}, 200 answers {Answered(backend, 200)}");
        Assert.True(report.Drained);
        Assert.Equal(0, topology.DeadLettersWritten);
        Assert.False(File.Exists(_harness.PathOf("dead-letter.jsonl")) && new FileInfo(_harness.PathOf("dead-letter.jsonl")).Length > 0);
        Assert.Equal(Enumerable.Range(0, (int)load.Sent).Select(i => (long)i), DeliveredIds(backend).Order());
        // The same batch was refused far more often than the 3 attempts that used to dead-letter it.
        var triesOfOneBatch = backend.Requests.Where(r => r.Status == 503).GroupBy(r => Ids(r)[0]).Max(g => g.Count());
        Assert.True(triesOfOneBatch > FailurePolicy.DefaultAttempts, $"a batch was tried at most {triesOfOneBatch} times during the outage");
        // Every failed attempt is counted as an error of the sink.
        Assert.Equal(Answered(backend, 503), topology.Snapshot().Nodes.Single(n => n.Id == "out").Errors);
    }

    [Fact]
    public async Task The_hard_stop_interrupts_a_sink_waiting_out_an_outage_and_replay_brings_back_what_it_held()
    {
        await using var backend = await CapturingHttpServer.StartAsync();
        backend.StatusToAnswer = 503;
        var load = new SteadyLoad { Limit = 100 };
        var catalog = BuiltInComponents.Create().AddSource<NoOptions>("steady", "numbered events until told to stop", (_, _) => new SourceFactory(() => load));
        var file = _harness.PathOf("outage.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: outage
            data_dir: {{_harness.Directory}}
            shutdown_timeout: 5s
            sources:
              load: { type: steady }
            sinks:
              out: { type: http, inputs: [load], uri: "{{backend.Uri}}", retry_max_backoff: 100ms }
            """, Ct);
        await using (var topology = _harness.Build(Pipeline.Config.ConfigLoader.LoadFile(file, catalog)))
        {
            await topology.StartAsync(Ct);
            await UntilAsync(() => load.Stopped && Answered(backend, 503) > 2 * FailurePolicy.DefaultAttempts, "the sink retrying the outage");

            var report = await topology.StopAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(EndToEndHarness.HangGuard, Ct);

            // Still down when the shutdown timeout ran out: the hard stop ends the retries, and what the sink held is
            // dead-lettered as undrained, not lost.
            Assert.False(report.Drained);
            Assert.Equal(100, topology.DeadLettersWritten);
        }
        Assert.Empty(DeliveredIds(backend));

        backend.StatusToAnswer = 200;
        using var stdout = new StringWriter();
        var exit = await Pipeline.Host.Cli.RunAsync(["dead-letter", "replay", "--config", file], stdout, stdout, catalog, Ct).WaitAsync(EndToEndHarness.HangGuard, Ct);

        Assert.Equal(0, exit);
        Assert.Contains("replayed 100: 100 to out", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), DeliveredIds(backend).Order());
    }

    private static int Answered(CapturingHttpServer backend, int status) => backend.Requests.Count(r => r.Status == status);

    private static List<long> DeliveredIds(CapturingHttpServer backend)
        => [.. backend.Requests.Where(r => r.Status == 200).SelectMany(Ids)];

    private static List<long> Ids(CapturedRequest request)
        => [.. Encoding.UTF8.GetString(request.Body).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("id").GetInt64())];

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < EndToEndHarness.HangGuard, $"timed out waiting for {what}");
            await Task.Delay(10, Ct);
        }
    }

    public sealed class NoOptions;

    /// <summary>
    /// Sends {"id": 0, 1, 2, …} until stopped, as HTTP clients would: a send refused for backpressure (their 429) is
    /// counted and sent again, so every id sent is accepted exactly once.
    /// </summary>
    private sealed class SteadyLoad : ISource
    {
        private long _sent;
        private long _refused;
        private volatile bool _stopping;
        private volatile bool _stopped;

        public long Sent => Interlocked.Read(ref _sent);

        public long Refused => Interlocked.Read(ref _refused);

        public bool Stopped => _stopped;

        /// <summary>Set: the source finishes after this many events.</summary>
        public long Limit { get; init; } = long.MaxValue;

        public void Stop() => _stopping = true;

        public async Task RunAsync(ISourceContext context, CancellationToken stopping)
        {
            try
            {
                while (!_stopping && !stopping.IsCancellationRequested && Sent < Limit)
                {
                    var id = Sent;
                    var evt = Event.Parse(Encoding.UTF8.GetBytes($$"""{"id":{{id}}}"""));
                    SendResult result;
                    while ((result = await context.SendWithinAsync(evt, default, TimeSpan.FromMilliseconds(20), stopping)) == SendResult.Backpressure)
                    {
                        Interlocked.Increment(ref _refused);
                    }
                    if (result != SendResult.Accepted)
                    {
                        evt.Release();
                        return;
                    }
                    Interlocked.Increment(ref _sent);
                    if (id % 16 == 0)
                    {
                        // Steady, not flat out: the point is an outage under load, not a throughput test.
                        await Task.Delay(1, stopping);
                    }
                }
            }
            finally
            {
                _stopped = true;
            }
        }
    }
}
