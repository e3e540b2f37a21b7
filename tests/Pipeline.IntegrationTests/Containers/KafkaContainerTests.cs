using Pipeline.IntegrationTests.Backends;
using Pipeline.IntegrationTests.Kafka;
using Testcontainers.Kafka;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>
/// The kill -9 scenario of <see cref="KafkaConsumerCrashTests"/> against a real broker (Apache Kafka in KRaft mode,
/// Testcontainers), where group coordination, commits and retention are the broker's own and not the mock's.
/// </summary>
public sealed class KafkaContainerTests
{
    private const string Image = "confluentinc/cp-kafka:7.9.0";

    [Fact]
    public async Task Against_a_real_broker_a_kill_9_mid_stream_loses_no_record_and_reads_again_only_what_was_not_committed()
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        await using var broker = new KafkaBuilder(Image).Build();
        await broker.StartAsync(TestContext.Current.CancellationToken);
        // GetBootstrapAddress is a URI (plaintext://host:port/); bootstrap_servers takes host:port.
        var address = new Uri(broker.GetBootstrapAddress());
        using var kafka = new KafkaBackend($"{address.Host}:{address.Port}");
        var topic = $"it-kill-{Guid.NewGuid():N}";
        // A broker auto-creates a topic with one partition; four, as on the mock cluster, so commits and re-reads
        // are per partition.
        await kafka.CreateTopicAsync(topic, partitions: 4);
        await ConsumerKillScenario.RunAsync(kafka, topic);
    }
}
