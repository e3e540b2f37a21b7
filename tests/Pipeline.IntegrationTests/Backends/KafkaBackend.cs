using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// The test's own Kafka client, beside the pipelines under test: it produces the records a consumer pipeline reads,
/// reads back what a producer pipeline wrote, and asks the brokers what a consumer group has committed (the only
/// trustworthy measure of what a killed consumer will read again). Any cluster: the mock one or a container.
/// </summary>
internal sealed class KafkaBackend(string bootstrapServers) : IDisposable
{
    private static readonly TimeSpan BrokerAnswerWithin = TimeSpan.FromSeconds(20);

    private readonly IProducer<string?, string> _producer = new ProducerBuilder<string?, string>(new ProducerConfig
    {
        BootstrapServers = bootstrapServers,
        // Every record of the test is acknowledged by every replica before ProduceAsync returns: nothing the test
        // counts on was only in the client's queue.
        Acks = Acks.All,
        EnableIdempotence = true,
        LingerMs = 5,
    }).SetLogHandler((_, _) => { }).Build();

    public string BootstrapServers => bootstrapServers;

    /// <summary>The JSON value of test record <paramref name="id"/>: its id and a message, as a source decodes it.</summary>
    public static string RecordValue(int id) => $$"""{"id":{{id}},"message":"record {{id}}"}""";

    /// <summary>
    /// Produces records <paramref name="from"/> … <paramref name="from"/> + <paramref name="count"/> - 1, keyed by id
    /// (so they spread over every partition), each with the traceparent <paramref name="traceParentOf"/> gives (none
    /// when it gives null), and waits until the brokers acknowledged every one.
    /// </summary>
    public async Task ProduceAsync(string topic, int from, int count, Func<int, string?>? traceParentOf = null)
    {
        var pending = new List<Task<DeliveryResult<string?, string>>>(count);
        for (var id = from; id < from + count; id++)
        {
            var message = new Message<string?, string> { Key = id.ToString(System.Globalization.CultureInfo.InvariantCulture), Value = RecordValue(id) };
            if (traceParentOf?.Invoke(id) is { } traceParent)
            {
                message.Headers = new Headers { { "traceparent", Encoding.UTF8.GetBytes(traceParent) } };
            }
            pending.Add(_producer.ProduceAsync(topic, message, TestContext.Current.CancellationToken));
        }
        await Task.WhenAll(pending);
    }

    /// <summary>
    /// Creates a topic on a real broker. Not on the mock cluster: its CreateTopics never answers; it creates a topic
    /// with four partitions on first use.
    /// </summary>
    public async Task CreateTopicAsync(string topic, int partitions)
    {
        using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    /// <summary>The topic's partitions, from the brokers' metadata (asking creates the topic on a cluster that auto-creates).</summary>
    public IReadOnlyList<int> Partitions(string topic)
    {
        using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
        var metadata = admin.GetMetadata(topic, BrokerAnswerWithin).Topics.Single(t => t.Topic == topic);
        if (metadata.Error.IsError)
        {
            throw new InvalidOperationException($"topic {topic}: {metadata.Error.Reason}");
        }
        return [.. metadata.Partitions.Select(p => p.PartitionId).Order()];
    }

    /// <summary>Each partition's end offset: where the next record will be written.</summary>
    public IReadOnlyDictionary<int, long> EndOffsets(string topic)
    {
        using var consumer = NewConsumer($"it-probe-{Guid.NewGuid():N}");
        return Partitions(topic).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), BrokerAnswerWithin).High.Value);
    }

    /// <summary>
    /// What <paramref name="groupId"/> has committed on each partition of <paramref name="topic"/>: the offset it
    /// reads from next; -1 where it committed nothing. Asked without joining the group, so its members keep their
    /// partitions.
    /// </summary>
    public IReadOnlyDictionary<int, long> CommittedOffsets(string groupId, string topic)
    {
        using var consumer = NewConsumer(groupId);
        var committed = consumer.Committed(Partitions(topic).Select(p => new TopicPartition(topic, p)), BrokerAnswerWithin);
        return committed.ToDictionary(c => c.Partition.Value, c => c.Offset == Offset.Unset ? -1 : c.Offset.Value);
    }

    /// <summary>
    /// Every record of <paramref name="topic"/> from the start, once at least <paramref name="expected"/> are there;
    /// fails when they are not within <paramref name="within"/>. Read by assignment, outside any group.
    /// </summary>
    public IReadOnlyList<KafkaRecord> ReadAll(string topic, int expected, TimeSpan within)
    {
        using var consumer = NewConsumer($"it-probe-{Guid.NewGuid():N}");
        consumer.Assign(Partitions(topic).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<KafkaRecord>(expected);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (records.Count < expected)
        {
            var remaining = within - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"topic {topic}: {records.Count} of {expected} records within {within.TotalSeconds:0} s");
            }
            if (consumer.Consume(remaining) is not { IsPartitionEOF: false } result)
            {
                continue;
            }
            var headers = result.Message.Headers?.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()), StringComparer.Ordinal)
                ?? new Dictionary<string, string>(StringComparer.Ordinal);
            records.Add(new KafkaRecord(result.Partition.Value, result.Offset.Value, result.Message.Key, result.Message.Value, headers));
        }
        return records;
    }

    public void Dispose()
    {
        _producer.Flush(BrokerAnswerWithin);
        _producer.Dispose();
    }

    private IConsumer<string?, string> NewConsumer(string groupId) => new ConsumerBuilder<string?, string>(new ConsumerConfig
    {
        BootstrapServers = bootstrapServers,
        GroupId = groupId,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
    }).SetLogHandler((_, _) => { }).Build();
}
