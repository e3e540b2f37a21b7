using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Pipeline.Tests.Support;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// kafka → filter → blackhole through librdkafka's mock cluster, at 1 and 2 isolates of the stage behind the source,
/// with the records in 1 partition or spread over 4 (the mock creates a topic with 4 partitions on first use; "1
/// partition" produces them all to partition 0). The pipeline is a child process (the Release build); the brokers and
/// the producer are this process. A warm-up load first (JIT, the group's join); then the run's records are produced
/// and the clock runs until the group's committed offsets cover them all, so it counts acknowledgements and the last
/// commit (commit_interval 200ms) too.
/// </summary>
internal static class KafkaSourceBenchmark
{
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(120);

    public static async Task RunAsync(int events, int runs)
    {
        var repo = BenchHost.FindRepository();
        var pipelineDll = Path.Combine(repo, "src", "Pipeline", "bin", "Release", "net10.0", "pipeline.dll");
        if (!File.Exists(pipelineDll))
        {
            Console.WriteLine($"kafka-source: {pipelineDll} not found; build it first: dotnet build src/Pipeline -c Release");
            return;
        }
        using var cluster = new MockKafkaCluster();
        var values = Values(1000);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# kafka-source {Environment.ProcessorCount} cores, mock cluster of 3 brokers in the bench process, event_bytes={values[0].Length}, events={events} per run"));
        for (var round = 0; round < runs; round++)
        {
            foreach (var partitions in new[] { 1, 4 })
            {
                foreach (var isolates in new[] { 1, 2 })
                {
                    if (await RunOnceAsync(pipelineDll, cluster.BootstrapServers, values, partitions, isolates, events).ConfigureAwait(false) is { } r)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"kafka-source partitions={partitions} isolates={isolates} round={round + 1} events={events} seconds={r.Seconds:F2} events_per_s={events / r.Seconds:N0} cpu_s={r.CpuSeconds:F2} cpu_us_per_event={r.CpuSeconds * 1e6 / events:F2}"));
                    }
                }
            }
        }
    }

    private static async Task<(double Seconds, double CpuSeconds)?> RunOnceAsync(
        string pipelineDll, string bootstrapServers, List<byte[]> values, int partitions, int isolates, int events)
    {
        var work = Directory.CreateTempSubdirectory("pipeline-bench-kafka-source-");
        var topic = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var group = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var configPath = Path.Combine(work.FullName, "kafka-source.yaml");
        await File.WriteAllTextAsync(configPath, $$"""
            name: bench-kafka-source
            data_dir: {{work.FullName}}/data
            admin: { address: "127.0.0.1:{{BenchHost.FreePort()}}" }
            sources:
              in: { type: kafka, bootstrap_servers: "{{bootstrapServers}}", group_id: {{group}}, topics: [{{topic}}], commit_interval: 200ms }
            stages:
              keep: { type: filter, inputs: [in], condition: '.level != "trace"', isolates: {{isolates}} }
            sinks:
              out: { type: blackhole, inputs: [keep] }
            """).ConfigureAwait(false);
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, LingerMs = 5 })
            .SetLogHandler((_, _) => { }).Build();
        using var committed = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = group })
            .SetLogHandler((_, _) => { }).Build();
        var warm = Math.Max(1000, events / 5);
        Produce(producer, topic, values, partitions, 0, warm);
        using var child = new Child("dotnet", [pipelineDll, "run", "--config", configPath], FileTailBenchmark.ShippedEnvironment);
        try
        {
            if (!await WaitCommittedAsync(committed, topic, warm).ConfigureAwait(false))
            {
                child.Fail($"(kafka-source) the warm-up's {warm} records were not all committed within {DrainLimit}");
                return null;
            }
            var (cpuBefore, _) = child.Usage();
            var clock = Stopwatch.StartNew();
            Produce(producer, topic, values, partitions, warm, events);
            if (!await WaitCommittedAsync(committed, topic, warm + events).ConfigureAwait(false))
            {
                child.Fail($"(kafka-source) the run's {events} records were not all committed within {DrainLimit}");
                return null;
            }
            var elapsed = clock.Elapsed.TotalSeconds;
            var (cpuAfter, _) = child.Usage();
            return (elapsed, cpuAfter - cpuBefore);
        }
        finally
        {
            await child.StopAsync().ConfigureAwait(false);
            work.Delete(recursive: true);
        }
    }

    private static void Produce(IProducer<Null, byte[]> producer, string topic, List<byte[]> values, int partitions, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(new TopicPartition(topic, i % partitions), new Message<Null, byte[]> { Value = values[i % values.Count] });
                    break;
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        producer.Flush(TimeSpan.FromSeconds(60));
    }

    /// <summary>Polls the group's committed offsets (without joining it) until they add up to <paramref name="records"/>.</summary>
    private static async Task<bool> WaitCommittedAsync(IConsumer<Ignore, Ignore> consumer, string topic, long records)
    {
        var clock = Stopwatch.StartNew();
        var all = Enumerable.Range(0, 4).Select(p => new TopicPartition(topic, p)).ToList();
        while (clock.Elapsed < DrainLimit)
        {
            var total = consumer.Committed(all, TimeSpan.FromSeconds(5)).Sum(c => Math.Max(0, c.Offset.Value));
            if (total >= records)
            {
                return true;
            }
            await Task.Delay(10).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>JSON values of application-log-like events of about 250 bytes.</summary>
    private static List<byte[]> Values(int count)
    {
        var random = new Random(7);
        string[] levels = ["info", "info", "info", "warn", "error", "debug"];
        string[] services = ["checkout", "cart", "search", "auth", "payments"];
        return [.. Enumerable.Range(0, count).Select(i => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"timestamp":"2026-12-04T12:{{i % 60:D2}}:00.{{random.Next(1000):D3}}Z","level":"{{levels[random.Next(levels.Length)]}}","service":"{{services[random.Next(services.Length)]}}","status":{{200 + random.Next(4) * 100}},"duration_ms":{{random.Next(2000)}},"user_id":"u-{{random.Next(100000)}}","message":"request {{i}} handled by worker {{random.Next(64)}} after {{random.Next(5)}} retries"}""")))];
    }
}
