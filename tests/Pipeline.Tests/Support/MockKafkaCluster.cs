using Confluent.Kafka;

namespace Pipeline.Tests.Support;

/// <summary>
/// librdkafka's in-process mock cluster: three brokers on loopback ports, speaking the real Kafka protocol, that any
/// client (in this process or another, such as a pipeline child process) reaches through <see cref="BootstrapServers"/>.
/// It lives as long as the client that hosts it; disposing this stops every broker (what a "cluster down" test wants).
/// Topics are created on first use (the admin API's CreateTopics hung on the mock cluster when tried).
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    private readonly IProducer<Null, Null> _host;

    public MockKafkaCluster(int brokers = 3)
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The mock cluster logs its start-up line at notice level on stderr; tests do not need it.
        _host = new ProducerBuilder<Null, Null>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(_host.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        BootstrapServers = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
    }

    /// <summary>The brokers' loopback addresses, comma-separated, as <c>bootstrap_servers</c> takes them.</summary>
    public string BootstrapServers { get; }

    public void Dispose() => _host.Dispose();
}
