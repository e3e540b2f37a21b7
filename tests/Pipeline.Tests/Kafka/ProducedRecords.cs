using Confluent.Kafka;

namespace Pipeline.Tests.Kafka;

/// <summary>Reads back what a sink produced to a topic of the mock cluster, from the start of every partition.</summary>
internal static class ProducedRecords
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The topic's records, every partition read to its high watermark (so a record produced twice shows twice), in
    /// partition then offset order; fails when fewer than <paramref name="atLeast"/> are there within the hang guard.
    /// </summary>
    public static List<ConsumeResult<byte[], byte[]>> Read(string bootstrapServers, string topic, int atLeast)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var ends = HighWatermarks(consumer, topic);
            if (ends.Values.Sum() >= atLeast || DateTime.UtcNow > deadline)
            {
                Assert.True(ends.Values.Sum() >= atLeast, $"expected at least {atLeast} records in {topic}, found {ends.Values.Sum()}");
                return ReadTo(consumer, topic, ends);
            }
            Thread.Sleep(20);
        }
    }

    private static Dictionary<int, long> HighWatermarks(IConsumer<byte[], byte[]> consumer, string topic)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var partitions = admin.GetMetadata(topic, Patience).Topics.Single().Partitions;
        return partitions.ToDictionary(
            p => p.PartitionId,
            p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), Patience).High.Value);
    }

    private static List<ConsumeResult<byte[], byte[]>> ReadTo(IConsumer<byte[], byte[]> consumer, string topic, Dictionary<int, long> ends)
    {
        var records = new List<ConsumeResult<byte[], byte[]>>();
        foreach (var (partition, end) in ends.Where(e => e.Value > 0))
        {
            consumer.Assign(new TopicPartitionOffset(topic, partition, Offset.Beginning));
            while (records.Count(r => r.Partition.Value == partition) < end)
            {
                var record = consumer.Consume(Patience) ?? throw new TimeoutException($"partition {partition} of {topic} gave no record within {Patience}");
                records.Add(record);
            }
        }
        return records;
    }
}
