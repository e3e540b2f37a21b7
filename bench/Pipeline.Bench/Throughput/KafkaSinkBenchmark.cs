using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Confluent.Kafka;
using Pipeline.Tests.Support;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// http → kafka through librdkafka's mock cluster (three brokers hosted by this process), with the kafka sink at 1
/// and 2 isolates. The pipeline is a child process (the Release build, as shipped), so its CPU is its own: the load
/// driver and the brokers are this process, and compete with it for the same cores. A run counts from the first POST
/// until every accepted event is in the topic (its partitions' high watermarks), after a warm-up load.
/// </summary>
internal static class KafkaSinkBenchmark
{
    private const int Connections = 4;
    private const int LinesPerBody = 1000;
    private static readonly TimeSpan DeliveryLimit = TimeSpan.FromSeconds(60);

    /// <param name="sinkOptions">More of the sink's options, as YAML flow entries ("batch_size: 500"), for comparing settings.</param>
    public static async Task RunAsync(int events, int seconds, int runs, string sinkOptions)
    {
        var repo = BenchHost.FindRepository();
        var pipelineDll = Path.Combine(repo, "src", "Pipeline", "bin", "Release", "net10.0", "pipeline.dll");
        if (!File.Exists(pipelineDll))
        {
            Console.WriteLine($"kafka-sink: {pipelineDll} not found; build it first: dotnet build src/Pipeline -c Release");
            return;
        }
        using var cluster = new MockKafkaCluster();
        var bodies = Bodies(16);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# kafka-sink {Environment.ProcessorCount} cores, mock cluster of 3 brokers in the bench process, event_bytes={bodies[0].Length / LinesPerBody}, events={events} (or {seconds}s) per run, sink options: {(sinkOptions.Length > 0 ? sinkOptions : "defaults")}"));
        // Rounds interleave the isolate counts, so a slow spell of the machine hits both.
        for (var round = 0; round < runs; round++)
        {
            foreach (var isolates in new[] { 1, 2 })
            {
                var result = await RunOnceAsync(pipelineDll, cluster.BootstrapServers, bodies, isolates, events, seconds, sinkOptions).ConfigureAwait(false);
                if (result is { } r)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"kafka-sink isolates={isolates} round={round + 1} events={r.Events} seconds={r.Seconds:F2} events_per_s={r.Events / r.Seconds:N0} cpu_s={r.CpuSeconds:F2} cpu_us_per_event={r.CpuSeconds * 1e6 / r.Events:F2} events_per_cpu_s={r.Events / r.CpuSeconds:N0}"));
                }
            }
        }
    }

    private static async Task<(long Events, double Seconds, double CpuSeconds)?> RunOnceAsync(
        string pipelineDll, string bootstrapServers, List<byte[]> bodies, int isolates, int events, int seconds, string sinkOptions)
    {
        var work = Directory.CreateTempSubdirectory("pipeline-bench-kafka-");
        var topic = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var adminPort = BenchHost.FreePort();
        var ingestPort = BenchHost.FreePort();
        var configPath = Path.Combine(work.FullName, "kafka.yaml");
        await File.WriteAllTextAsync(configPath, $$"""
            name: bench-kafka
            data_dir: {{work.FullName}}/data
            admin: { address: "127.0.0.1:{{adminPort}}" }
            sources:
              in: { type: http, address: "127.0.0.1:{{ingestPort}}", path: /v1/events }
            sinks:
              out: { type: kafka, inputs: [in], bootstrap_servers: "{{bootstrapServers}}", topic: {{topic}}, isolates: {{isolates}}{{(sinkOptions.Length > 0 ? ", " + sinkOptions : "")}} }
            """).ConfigureAwait(false);
        using var child = new Child("dotnet", [pipelineDll, "run", "--config", configPath], FileTailBenchmark.ShippedEnvironment);
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(5) };
            if (!await WaitReadyAsync(admin, child).ConfigureAwait(false))
            {
                child.Fail("(kafka-sink) did not answer /readyz within 60 s");
                return null;
            }
            using var highWatermarks = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "bench" })
                .SetLogHandler((_, _) => { }).Build();
            // Warm-up: JIT, tiered PGO, the producer's connections and the topic's creation.
            var warm = await DriveAsync(ingestPort, bodies, Math.Max(LinesPerBody, events / 5), seconds).ConfigureAwait(false);
            if (!await WaitDeliveredAsync(highWatermarks, topic, warm).ConfigureAwait(false))
            {
                child.Fail($"(kafka-sink) the warm-up's {warm} events did not all reach {topic}");
                return null;
            }
            var (cpuBefore, _) = child.Usage();
            var clock = Stopwatch.StartNew();
            var sent = await DriveAsync(ingestPort, bodies, events, seconds).ConfigureAwait(false);
            if (!await WaitDeliveredAsync(highWatermarks, topic, warm + sent).ConfigureAwait(false))
            {
                child.Fail($"(kafka-sink) the run's {sent} events did not all reach {topic} within {DeliveryLimit}");
                return null;
            }
            var elapsed = clock.Elapsed.TotalSeconds;
            var (cpuAfter, _) = child.Usage();
            return (sent, elapsed, cpuAfter - cpuBefore);
        }
        finally
        {
            await child.StopAsync().ConfigureAwait(false);
            work.Delete(recursive: true);
        }
    }

    /// <summary>POSTs bodies over <see cref="Connections"/> keep-alive connections until <paramref name="events"/> are accepted or the time is up.</summary>
    private static async Task<long> DriveAsync(int port, List<byte[]> bodies, int events, int seconds)
    {
        long accepted = 0;
        var end = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(connection => Task.Run(async () =>
        {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            var next = connection;
            while (end.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                // Counted before it is sent, so the connections together stop at the target.
                if (Interlocked.Add(ref accepted, LinesPerBody) > events)
                {
                    Interlocked.Add(ref accepted, -LinesPerBody);
                    break;
                }
                using var content = new ByteArrayContent(bodies[next++ % bodies.Count]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                using var response = await client.PostAsync("/v1/events", content).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    // Refused (429 when the pipeline is full): not accepted, so not counted; sent again after a pause.
                    Interlocked.Add(ref accepted, -LinesPerBody);
                    await Task.Delay(20).ConfigureAwait(false);
                }
            }
        }))).ConfigureAwait(false);
        return accepted;
    }

    private static async Task<bool> WaitDeliveredAsync(IConsumer<Ignore, Ignore> consumer, string topic, long events)
    {
        var clock = Stopwatch.StartNew();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        while (clock.Elapsed < DeliveryLimit)
        {
            var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.Single().Partitions;
            var total = partitions.Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), TimeSpan.FromSeconds(5)).High.Value);
            if (total >= events)
            {
                return true;
            }
            await Task.Delay(5).ConfigureAwait(false);
        }
        return false;
    }

    private static async Task<bool> WaitReadyAsync(HttpClient admin, Child child)
    {
        while (child.Clock.Elapsed < TimeSpan.FromSeconds(60) && !child.Process.HasExited)
        {
            try
            {
                using var response = await admin.GetAsync("/readyz").ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(10).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>NDJSON bodies of application-log-like events of about 250 bytes, varied so no two lines are the same.</summary>
    private static List<byte[]> Bodies(int count)
    {
        var random = new Random(7);
        string[] levels = ["info", "info", "info", "warn", "error", "debug"];
        string[] services = ["checkout", "cart", "search", "auth", "payments"];
        var bodies = new List<byte[]>(count);
        for (var b = 0; b < count; b++)
        {
            var text = new StringBuilder();
            for (var i = 0; i < LinesPerBody; i++)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $$"""{"timestamp":"2026-12-04T12:{{i % 60:D2}}:{{b % 60:D2}}.{{random.Next(1000):D3}}Z","level":"{{levels[random.Next(levels.Length)]}}","service":"{{services[random.Next(services.Length)]}}","status":{{200 + random.Next(4) * 100}},"duration_ms":{{random.Next(2000)}},"user_id":"u-{{random.Next(100000)}}","message":"request {{b}}-{{i}} handled by worker {{random.Next(64)}} after {{random.Next(5)}} retries"}""");
                text.Append('\n');
            }
            bodies.Add(Encoding.UTF8.GetBytes(text.ToString()));
        }
        return bodies;
    }
}
