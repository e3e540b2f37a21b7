using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Serilog;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The delivery-guarantees benchmark: HTTP ingest → filter → http sink to a local endpoint that answers at once, with
/// acknowledgements off and on and with a memory and a disk buffer; then replaying a million buffered events after a
/// restart; then the peak RSS under ten times the load a slow sink can take. Everything runs in this process, so the
/// CPU figures include the load driver and the endpoint: compare them with each other, not with another tool's.
/// </summary>
internal static class DeliveryBenchmark
{
    private const int EventsPerRequest = 250;
    private const int Rounds = 5;

    /// <param name="clients">Concurrent HTTP clients: enough to keep an acknowledged pipeline busy while each waits for its answer.</param>
    public static async Task RunAsync(int events, int replayEvents, int clients)
    {
        await using var endpoint = await FastEndpoint.StartAsync(delay: TimeSpan.Zero).ConfigureAwait(false);
        var body = Body(EventsPerRequest);
        (bool Acks, string Buffer)[] setups = [(false, "memory"), (true, "memory"), (false, "disk"), (true, "disk")];
        foreach (var (acks, buffer) in setups)
        {
            await IngestAsync(endpoint, body, events, acks, buffer, clients).ConfigureAwait(false); // warm-up: JIT and tiered PGO
        }
        // Rounds interleave the setups, so a slow spell of the machine hits them all; the median of each is reported.
        var results = setups.ToDictionary(s => s, _ => new List<(double EventsPerSecond, double CpuMicros)>());
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var setup in setups)
            {
                results[setup].Add(await IngestAsync(endpoint, body, events, setup.Acks, setup.Buffer, clients).ConfigureAwait(false));
            }
        }
        foreach (var (setup, runs) in results)
        {
            var rates = runs.Select(r => r.EventsPerSecond).Order().ToList();
            var cpus = runs.Select(r => r.CpuMicros).Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"delivery acknowledgements={(setup.Acks ? "on" : "off")} buffer={setup.Buffer} events={events} clients={clients} rounds={Rounds} median_events_per_s={rates[Rounds / 2]:N0} median_cpu_us_per_event={cpus[Rounds / 2]:F2} all_events_per_s=[{string.Join(" ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}]"));
        }
        await ReplayAsync(replayEvents).ConfigureAwait(false);
        await OverloadAsync().ConfigureAwait(false);
    }

    private static async Task<(double EventsPerSecond, double CpuMicros)> IngestAsync(FastEndpoint endpoint, byte[] body, int events, bool acks, string buffer, int clients)
    {
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-delivery-");
        var port = FreePort();
        var yaml = $$"""
            name: bench
            data_dir: {{dataDir.FullName}}
            sources:
              ingest: { type: http, address: "127.0.0.1:{{port}}", acknowledgements: {{(acks ? "true" : "false")}}, backpressure_timeout: 5s }
            stages:
              keep: { type: filter, inputs: [ingest], condition: '.status < 600' }
            sinks:
              out:
                type: http
                inputs: [keep]
                uri: {{endpoint.Address}}
                batch_size: 500
                buffer: {{(buffer == "disk" ? "{ type: disk, max_size: 4GiB }" : "{ type: memory }")}}
            """;
        var config = ConfigLoader.LoadYaml(yaml, "bench.yaml", BuiltInComponents.Create());
        using var logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
        var metrics = PipelineMetrics.CreateIsolated();
        await using (var topology = RunningTopology.Build(config, metrics, logger))
        {
            await topology.StartAsync(CancellationToken.None).ConfigureAwait(false);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            await WaitListeningAsync(http).ConfigureAwait(false);
            var requests = events / EventsPerRequest;
            var sentBefore = endpoint.Lines;
            GC.Collect();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var next = -1;
            var rejected = 0;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) < requests)
                {
                    while (true)
                    {
                        using var content = new ByteArrayContent(body);
                        content.Headers.ContentType = new("application/x-ndjson");
                        using var response = await http.PostAsync("/v1/events", content).ConfigureAwait(false);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            break;
                        }
                        Interlocked.Increment(ref rejected);
                    }
                }
            }))).ConfigureAwait(false);
            var total = (long)requests * EventsPerRequest;
            while (endpoint.Lines - sentBefore < total)
            {
                await Task.Delay(1).ConfigureAwait(false);
            }
            clock.Stop();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            await topology.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            dataDir.Delete(recursive: true);
            return (total / clock.Elapsed.TotalSeconds, cpu.TotalMilliseconds * 1000 / total);
        }
    }

    /// <summary>Fills a disk buffer behind a sink that never delivers, stops, and times the restart's delivery of all of it.</summary>
    private static async Task ReplayAsync(int events)
    {
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-replay-");
        using var logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
        var stuck = new TaskCompletionSource();
        var catalog = BuiltInComponents.Create().AddSink<StuckOptions>("stuck", "never delivers", (_, _) => new StuckSink(stuck.Task));
        var fill = ConfigLoader.LoadYaml($$"""
            name: bench
            data_dir: {{dataDir.FullName}}
            sources:
              gen: { type: generator, shape: docker_json, count: {{events}}, seed: 7 }
            sinks:
              out: { type: stuck, inputs: [gen], buffer: { type: disk, max_size: 8GiB } }
            """, "fill.yaml", catalog);
        var fillClock = Stopwatch.StartNew();
        await using (var topology = RunningTopology.Build(fill, PipelineMetrics.CreateIsolated(), logger))
        {
            await topology.StartAsync(CancellationToken.None).ConfigureAwait(false);
            while (topology.Snapshot().Nodes.Single(n => n.Id == "gen").Sent < events)
            {
                await Task.Delay(10).ConfigureAwait(false);
            }
            fillClock.Stop();
            await topology.StopAsync(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
        }
        var bytes = Directory.EnumerateFiles(Path.Combine(dataDir.FullName, "buffers", "out")).Sum(f => new FileInfo(f).Length);
        var replay = ConfigLoader.LoadYaml($$"""
            name: bench
            data_dir: {{dataDir.FullName}}
            sources:
              idle: { type: http, address: "127.0.0.1:{{FreePort()}}" }
            sinks:
              out: { type: blackhole, inputs: [idle], buffer: { type: disk, max_size: 8GiB } }
            """, "replay.yaml", catalog);
        var clock = Stopwatch.StartNew();
        await using (var topology = RunningTopology.Build(replay, PipelineMetrics.CreateIsolated(), logger))
        {
            await topology.StartAsync(CancellationToken.None).ConfigureAwait(false);
            while (topology.Snapshot().Nodes.Single(n => n.Id == "out").Sent < events)
            {
                await Task.Delay(5).ConfigureAwait(false);
            }
            clock.Stop();
            await topology.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replay events={events} buffer_bytes={bytes} fill_seconds={fillClock.Elapsed.TotalSeconds:F2} replay_seconds={clock.Elapsed.TotalSeconds:F2} replay_events_per_s={events / clock.Elapsed.TotalSeconds:N0}"));
        dataDir.Delete(recursive: true);
    }

    /// <summary>
    /// Eight clients post as fast as they can at a pipeline whose sink's endpoint takes 20 ms per batch of 64 (about
    /// 3,200 events/s): far more than ten times what it takes. Memory buffers: the peak RSS stays bounded and the
    /// surplus is answered 429.
    /// </summary>
    private static async Task OverloadAsync()
    {
        await using var slow = await FastEndpoint.StartAsync(delay: TimeSpan.FromMilliseconds(20)).ConfigureAwait(false);
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-overload-");
        var port = FreePort();
        var config = ConfigLoader.LoadYaml($$"""
            name: bench
            data_dir: {{dataDir.FullName}}
            sources:
              ingest: { type: http, address: "127.0.0.1:{{port}}", backpressure_timeout: 100ms }
            stages:
              keep: { type: filter, inputs: [ingest], condition: '.status < 600' }
            sinks:
              out: { type: http, inputs: [keep], uri: {{slow.Address}}, batch_size: 64 }
            """, "overload.yaml", BuiltInComponents.Create());
        using var logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
        GC.Collect();
        var rssBefore = ProcStatus("VmRSS");
        long accepted = 0, rejected = 0;
        await using (var topology = RunningTopology.Build(config, PipelineMetrics.CreateIsolated(), logger))
        {
            await topology.StartAsync(CancellationToken.None).ConfigureAwait(false);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
            await WaitListeningAsync(http).ConfigureAwait(false);
            var body = Body(500);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                while (clock.Elapsed < TimeSpan.FromSeconds(10))
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new("application/x-ndjson");
                    using var response = await http.PostAsync("/v1/events", content).ConfigureAwait(false);
                    Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref accepted : ref rejected);
                }
            }))).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"overload seconds=10 offered_events={(accepted + rejected) * 500} accepted_events={accepted * 500} rejected_requests={rejected} delivered_by_then={slow.Lines} rss_before_mib={rssBefore / 1024.0:F0} peak_rss_mib={ProcStatus("VmHWM") / 1024.0:F0}"));
            await topology.StopAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
        dataDir.Delete(recursive: true);
    }

    private static long ProcStatus(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    private static byte[] Body(int events)
    {
        var text = new StringBuilder();
        for (var i = 0; i < events; i++)
        {
            text.Append(CultureInfo.InvariantCulture,
                $$"""{"level":"info","status":{{200 + (i % 300)}},"message":"GET /api/orders/{{i}} served","service":"checkout","duration_ms":{{i % 97}}}""").Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task WaitListeningAsync(HttpClient http)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                using var content = new StringContent("{\"status\":1000}\n", Encoding.UTF8, "application/x-ndjson");
                using var response = await http.PostAsync("/v1/events", content).ConfigureAwait(false);
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(25).ConfigureAwait(false);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public sealed class StuckOptions;

    private sealed class StuckSink(Task gate) : ISinkFactory, ISink
    {
        public ISink CreateForIsolate(int isolateIndex) => this;

        public async ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken) => await gate.WaitAsync(cancellationToken).ConfigureAwait(false);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>The far end: answers 200 after reading the body (and an optional delay), counting the NDJSON lines it got.</summary>
    private sealed class FastEndpoint : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private long _lines;

        private FastEndpoint(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public long Lines => Interlocked.Read(ref _lines);

        public static async Task<FastEndpoint> StartAsync(TimeSpan delay)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var endpoint = new FastEndpoint(app);
            app.MapPost("/ingest", async (HttpRequest request) =>
            {
                var buffer = new byte[64 * 1024];
                long lines = 0;
                int read;
                while ((read = await request.Body.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lines += buffer.AsSpan(0, read).Count((byte)'\n');
                }
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay).ConfigureAwait(false);
                }
                Interlocked.Add(ref endpoint._lines, lines);
                return Results.Ok();
            });
            await app.StartAsync().ConfigureAwait(false);
            endpoint.Address = new Uri(app.Urls.First() + "/ingest");
            return endpoint;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
