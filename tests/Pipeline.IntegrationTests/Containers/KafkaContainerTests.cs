using Pipeline.IntegrationTests.Backends;
using Pipeline.IntegrationTests.Kafka;
using Testcontainers.Kafka;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>
/// The kill -9 and rebalance scenarios of <see cref="KafkaConsumerCrashTests"/> and <see cref="KafkaRebalanceTests"/> against a real broker (Apache Kafka in KRaft mode,
/// Testcontainers), where group coordination, commits and retention are the broker's own and not the mock's.
/// </summary>
public sealed class KafkaContainerTests
{
    private const string Image = "confluentinc/cp-kafka:7.9.0";

    [Fact]
    public Task Against_a_real_broker_a_kill_9_mid_stream_loses_no_record_and_reads_again_only_what_was_not_committed() =>
        WithBrokerAsync("it-kill", ConsumerKillScenario.RunAsync);

    [Fact]
    public Task Against_a_real_broker_a_member_joining_and_another_leaving_with_sigterm_mid_stream_lose_no_record() =>
        WithBrokerAsync("it-rebalance", RebalanceScenario.RunAsync);

    private static async Task WithBrokerAsync(string topicPrefix, Func<KafkaBackend, string, Task> scenario)
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        await using var broker = new KafkaBuilder(Image).Build();
        await broker.StartAsync(TestContext.Current.CancellationToken);
        // GetBootstrapAddress is a URI (plaintext://host:port/); bootstrap_servers takes host:port.
        var address = new Uri(broker.GetBootstrapAddress());
        using var kafka = new KafkaBackend($"{address.Host}:{address.Port}");
        var topic = $"{topicPrefix}-{Guid.NewGuid():N}";
        // A broker auto-creates a topic with one partition; four, as on the mock cluster, so commits, re-reads and
        // hand-overs are per partition.
        await kafka.CreateTopicAsync(topic, partitions: 4);
        await scenario(kafka, topic);
    }
}
