using Confluent.Kafka;
using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests.Kafka;

/// <summary>What the Kafka process tests take for granted of the mock cluster and of their own client.</summary>
public sealed class MockKafkaClusterTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_topic_is_created_on_first_use_with_four_partitions_and_reads_back_whole_with_its_headers()
    {
        using var cluster = new MockKafkaCluster();
        using var kafka = new KafkaBackend(cluster.BootstrapServers);
        var topic = $"it-mock-{Guid.NewGuid():N}";

        await kafka.ProduceAsync(topic, 0, 200, id => id % 2 == 0 ? $"00-{id:x32}-{id + 1:x16}-01" : null);
        var records = kafka.ReadAll(topic, 200, Within);

        Assert.Equal([0, 1, 2, 3], kafka.Partitions(topic));
        Assert.Equal(Enumerable.Range(0, 200), records.Select(r => r.Id).Order());
        Assert.Equal(4, records.Select(r => r.Partition).Distinct().Count());
        Assert.All(records, r => Assert.Equal(r.Id % 2 == 0 ? $"00-{r.Id:x32}-{r.Id + 1:x16}-01" : null, r.Headers.GetValueOrDefault("traceparent")));
        Assert.Equal(200, kafka.EndOffsets(topic).Values.Sum());
    }

    [Fact]
    public async Task A_groups_committed_offsets_read_without_joining_it()
    {
        using var cluster = new MockKafkaCluster();
        using var kafka = new KafkaBackend(cluster.BootstrapServers);
        var topic = $"it-mock-{Guid.NewGuid():N}";
        var group = $"it-mock-{Guid.NewGuid():N}";
        await kafka.ProduceAsync(topic, 0, 10);

        Assert.All(kafka.CommittedOffsets(group, topic).Values, offset => Assert.Equal(-1, offset));
        using (var member = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = group }).Build())
        {
            member.Commit([new TopicPartitionOffset(topic, 1, 7)]);
        }
        var committed = kafka.CommittedOffsets(group, topic);

        Assert.Equal(7, committed[1]);
        Assert.Equal(-1, committed[0]);
    }

    [Fact]
    public async Task A_topic_created_ahead_has_the_partitions_asked_for()
    {
        using var cluster = new MockKafkaCluster();
        using var kafka = new KafkaBackend(cluster.BootstrapServers);
        var topic = $"it-mock-{Guid.NewGuid():N}";

        cluster.CreateTopic(topic, 8);
        await kafka.ProduceAsync(topic, 0, 400);

        Assert.Equal(Enumerable.Range(0, 8), kafka.Partitions(topic));
        Assert.Equal(8, kafka.ReadAll(topic, 400, Within).Select(r => r.Partition).Distinct().Count());
    }

    [Fact]
    public async Task A_member_joining_later_is_given_partitions_of_its_own()
    {
        using var cluster = new MockKafkaCluster();
        using var kafka = new KafkaBackend(cluster.BootstrapServers);
        var topic = $"it-mock-{Guid.NewGuid():N}";
        var group = $"it-mock-{Guid.NewGuid():N}";
        await kafka.ProduceAsync(topic, 0, 100);
        var config = new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = group, SessionTimeoutMs = 6000, AutoOffsetReset = AutoOffsetReset.Earliest };
        using var first = new ConsumerBuilder<Ignore, Ignore>(config).Build();
        using var second = new ConsumerBuilder<Ignore, Ignore>(config).Build();
        first.Subscribe(topic);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (first.Assignment.Count < 4 && clock.Elapsed < Within)
        {
            first.Consume(TimeSpan.FromMilliseconds(50));
        }
        second.Subscribe(topic);
        clock.Restart();
        while ((first.Assignment.Count == 0 || second.Assignment.Count == 0 || first.Assignment.Count + second.Assignment.Count != 4) && clock.Elapsed < Within)
        {
            first.Consume(TimeSpan.FromMilliseconds(50));
            second.Consume(TimeSpan.FromMilliseconds(50));
        }

        Assert.True(first.Assignment.Count > 0 && second.Assignment.Count > 0,
            $"after {clock.Elapsed.TotalSeconds:0.0} s: first {first.Assignment.Count}, second {second.Assignment.Count} partitions");
    }
}
