using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Pipeline.Tests.Support;

namespace Pipeline.Bench.Kafka;

/// <summary>
/// Hosts librdkafka's mock cluster for bench/kafka.sh, whose pipelines run as other processes and reach it over
/// loopback: optionally creates a topic with the partitions asked for and fills it, prints
/// <c>bootstrap_servers HOST:PORT,…</c> and then <c>ready</c>, and serves until it is killed.
/// </summary>
internal static class KafkaClusterCommand
{
    public const string Usage = "kafka-cluster [--topic NAME] [--partitions P (4)] [--fill N (0)] [--record-bytes B (200)]";

    public static async Task<int> RunAsync(string[] args)
    {
        var topic = ArgOr(args, "--topic", "");
        var partitions = int.Parse(ArgOr(args, "--partitions", "4"), CultureInfo.InvariantCulture);
        var fill = int.Parse(ArgOr(args, "--fill", "0"), CultureInfo.InvariantCulture);
        var recordBytes = int.Parse(ArgOr(args, "--record-bytes", "200"), CultureInfo.InvariantCulture);
        using var cluster = new MockKafkaCluster();
        if (topic.Length > 0)
        {
            cluster.CreateTopic(topic, partitions);
            Fill(cluster.BootstrapServers, topic, fill, recordBytes);
        }
        Console.WriteLine($"bootstrap_servers {cluster.BootstrapServers}");
        if (topic.Length > 0)
        {
            // The mock keeps about 5 MB per partition and drops the oldest records beyond: what a reader can still read.
            Console.WriteLine($"retained {Retained(cluster.BootstrapServers, topic, partitions)}");
        }
        Console.WriteLine("ready");
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Records the aggregator's benchmark reads: JSON events of about <paramref name="recordBytes"/> bytes, keyed by
    /// their sequence number so they spread evenly over the partitions.
    /// </summary>
    private static void Fill(string bootstrapServers, string topic, int count, int recordBytes)
    {
        if (count == 0)
        {
            return;
        }
        var failed = 0;
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            LingerMs = 20,
            QueueBufferingMaxMessages = 1_000_000,
        }).SetLogHandler((_, _) => { }).Build();
        var padding = new string('x', Math.Max(0, recordBytes - 90));
        var levels = new[] { "info", "info", "warn", "debug" };
        for (var i = 0; i < count; i++)
        {
            var value = new StringBuilder(recordBytes)
                .Append("{\"seq\":").Append(i)
                .Append(",\"level\":\"").Append(levels[i % levels.Length])
                .Append("\",\"service\":\"checkout\",\"message\":\"").Append(padding).Append("\"}").ToString();
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<string, string> { Key = i.ToString(CultureInfo.InvariantCulture), Value = value },
                        report => { if (report.Error.IsError) { Interlocked.Increment(ref failed); } });
                    break;
                }
                catch (ProduceException<string, string> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(100));
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} of {count} records were not written to {topic}");
        }
    }

    private static long Retained(string bootstrapServers, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "retained" })
            .SetLogHandler((_, _) => { }).Build();
        return Enumerable.Range(0, partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)))
            .Sum(w => w.High.Value - w.Low.Value);
    }

    private static string ArgOr(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
