using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests.Kafka;

/// <summary>Two kafka sources in the real binary sharing a consumer group, over librdkafka's mock cluster (four partitions a topic).</summary>
public sealed class KafkaRebalanceTests
{
    [Fact]
    public async Task A_member_joining_and_another_leaving_with_sigterm_mid_stream_lose_no_record()
    {
        using var cluster = new MockKafkaCluster();
        using var kafka = new KafkaBackend(cluster.BootstrapServers);
        await RebalanceScenario.RunAsync(kafka, $"it-rebalance-{Guid.NewGuid():N}");
    }
}
