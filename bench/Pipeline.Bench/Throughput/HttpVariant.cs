using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Pipeline.Bench.Throughput;

/// <summary>The pipeline as a service: start-up, idle memory, and ingest over HTTP with its own CPU per event.</summary>
/// <param name="Accepted">Events in 2xx-answered requests.</param>
/// <param name="Refused">Events in requests answered 429 or 503 (sent again after a short wait).</param>
/// <param name="CpuSeconds">The pipeline's CPU (utime + stime) during the load only, start-up excluded.</param>
internal sealed record HttpResult(
    long Accepted, long Refused, double LoadSeconds, double CpuSeconds, double ReadySeconds, double IdleRssMib, double PeakRssMib)
{
    public double EventsPerCpuSecond => Accepted / CpuSeconds;
}

/// <summary>
/// Starts the pipeline with http -> filter -> blackhole, waits for /readyz, samples its idle RSS after 3 s, then
/// drives it with 4 keep-alive connections POSTing 1,000-line NDJSON bodies for a fixed time.
/// </summary>
internal static class HttpVariant
{
    private const int Connections = 4;
    private const int LinesPerBody = 1000;
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RefusedWait = TimeSpan.FromMilliseconds(20);

    public static async Task<HttpResult?> RunAsync(PipelineCommand pipeline, string workDir, string inputPath, int seconds)
    {
        // Built before the pipeline starts, so that reading the input does not compete with its start-up.
        var bodies = CompareInput.Bodies(inputPath, 100, LinesPerBody);
        var dataDir = Directory.CreateDirectory(Path.Combine(workDir, "http-data")).FullName;
        var adminPort = BenchHost.FreePort();
        var ingestPort = BenchHost.FreePort();
        var configPath = Path.Combine(workDir, "http.yaml");
        await File.WriteAllTextAsync(configPath, $$"""
            name: compare-http
            data_dir: {{dataDir}}
            admin: { address: "127.0.0.1:{{adminPort}}" }
            sources:
              in: { type: http, address: "127.0.0.1:{{ingestPort}}", path: /v1/events }
            stages:
              keep: { type: filter, inputs: [in], condition: '.level != "debug"' }
            sinks:
              out: { type: blackhole, inputs: [keep] }
            """).ConfigureAwait(false);

        using var child = new Child(pipeline.File, pipeline.Arguments(configPath), FileTailBenchmark.ShippedEnvironment);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(10) };
        var ready = await WaitReadyAsync(admin, child).ConfigureAwait(false);
        if (ready is null)
        {
            child.Fail("(http) did not answer /readyz with 200 within 60 s");
            return null;
        }
        await Task.Delay(Idle).ConfigureAwait(false);
        var idleRssMib = ReadStatusKib(child.Process.Id, "VmRSS:") / 1024.0;
        var (cpuBefore, _) = child.Usage();

        long accepted = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        var drivers = Enumerable.Range(0, Connections).Select(connection => Task.Run(async () =>
        {
            // One connection per client: four steady keep-alive streams, like four busy upstream services.
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{ingestPort}"), Timeout = TimeSpan.FromSeconds(30) };
            var next = connection * bodies.Count / Connections;
            while (clock.Elapsed < end)
            {
                using var content = new ByteArrayContent(bodies[next]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                using var response = await client.PostAsync("/v1/events", content).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    Interlocked.Add(ref accepted, LinesPerBody);
                    next = (next + 1) % bodies.Count;
                }
                else if (status is 429 or 503)
                {
                    Interlocked.Add(ref refused, LinesPerBody);
                    await Task.Delay(RefusedWait).ConfigureAwait(false);
                }
                else
                {
                    throw new InvalidOperationException($"the http source answered {status}: {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
                }
            }
        })).ToArray();
        try
        {
            await Task.WhenAll(drivers).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TaskCanceledException)
        {
            child.Fail($"(http) load failed: {ex.Message}");
            return null;
        }
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var (cpuAfter, peakRssMib) = child.Usage();
        await child.StopAsync().ConfigureAwait(false);
        return new HttpResult(accepted, refused, loadSeconds, cpuAfter - cpuBefore, ready.Value, idleRssMib, peakRssMib);
    }

    private static async Task<double?> WaitReadyAsync(HttpClient admin, Child child)
    {
        while (child.Clock.Elapsed < TimeSpan.FromSeconds(60) && !child.Process.HasExited)
        {
            try
            {
                using var response = await admin.GetAsync("/readyz").ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return child.Clock.Elapsed.TotalSeconds;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(10).ConfigureAwait(false);
        }
        return null;
    }

    private static long ReadStatusKib(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }
}
