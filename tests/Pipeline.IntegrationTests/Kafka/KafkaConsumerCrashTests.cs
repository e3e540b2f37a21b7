using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests.Kafka;

/// <summary>The kafka source in the real binary, killed with SIGKILL mid-stream, over librdkafka's mock cluster (three brokers, four partitions a topic).</summary>
public sealed class KafkaConsumerCrashTests
{
    [Fact]
    public async Task A_kill_9_mid_stream_loses_no_record_and_reads_again_only_what_was_not_committed()
    {
        using var cluster = new MockKafkaCluster();
        using var kafka = new KafkaBackend(cluster.BootstrapServers);
        await ConsumerKillScenario.RunAsync(kafka, $"it-kill-{Guid.NewGuid():N}");
    }
}
