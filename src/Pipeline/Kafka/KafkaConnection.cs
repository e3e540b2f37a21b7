using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Security;

namespace Pipeline.Kafka;

/// <summary>
/// What a Kafka source and a Kafka sink both say about reaching the brokers (Vector's names: <c>bootstrap_servers</c>,
/// <c>tls</c>, <c>sasl</c>, <c>librdkafka_options</c>), turned into librdkafka's client settings in one place.
/// </summary>
public static class KafkaConnection
{
    /// <summary>librdkafka settings this class owns: <c>librdkafka_options</c> may not override them.</summary>
    private static readonly string[] OwnedSettings =
    [
        "bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.username", "sasl.password",
        "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "enable.ssl.certificate.verification",
        "ssl.endpoint.identification.algorithm",
    ];

    /// <summary>
    /// Fills <paramref name="config"/> from the options, checking them as <c>validate</c> can (a password's source,
    /// the TLS files); throws <see cref="ComponentBuildException"/> naming the option that is wrong.
    /// </summary>
    public static void Apply(
        ClientConfig config, string bootstrapServers, ClientTlsSettings? tls, KafkaSaslSettings? sasl,
        IReadOnlyDictionary<string, string> librdkafkaOptions, Func<string, string?> environment)
    {
        if (string.IsNullOrWhiteSpace(bootstrapServers))
        {
            throw new ComponentBuildException("bootstrap_servers", "expected host:port[,host:port…] of one or more brokers, found none");
        }
        foreach (var (name, value) in librdkafkaOptions)
        {
            if (OwnedSettings.Contains(name, StringComparer.Ordinal))
            {
                throw new ComponentBuildException("librdkafka_options", $"'{name}' is set by the component's own options (bootstrap_servers, tls, sasl); set it there");
            }
            config.Set(name, value);
        }
        config.BootstrapServers = bootstrapServers;
        if (tls is not null)
        {
            tls.Validate("tls");
            config.SslCaLocation = tls.CaFile;
            config.SslCertificateLocation = tls.CertFile;
            config.SslKeyLocation = tls.KeyFile;
            config.EnableSslCertificateVerification = tls.VerifyCertificate;
            config.SslEndpointIdentificationAlgorithm = tls.VerifyHostname ? SslEndpointIdentificationAlgorithm.Https : SslEndpointIdentificationAlgorithm.None;
        }
        if (sasl is not null)
        {
            config.SaslPassword = sasl.ReadPassword("sasl", environment);
            config.SaslUsername = sasl.Username;
            config.SaslMechanism = sasl.LibrdkafkaMechanism("sasl");
        }
        config.SecurityProtocol = (tls, sasl) switch
        {
            (null, null) => SecurityProtocol.Plaintext,
            (_, null) => SecurityProtocol.Ssl,
            (null, _) => SecurityProtocol.SaslPlaintext,
            _ => SecurityProtocol.SaslSsl,
        };
    }

    /// <summary>
    /// Builds a client once from <paramref name="config"/> without bootstrap.servers, so librdkafka checks every
    /// setting (a misspelt librdkafka_options name, an unreadable CA file) at validate without connecting to anything.
    /// </summary>
    /// <param name="build">Makes the client (a producer or a consumer) from the settings.</param>
    public static void CheckOffline(ClientConfig config, Func<IEnumerable<KeyValuePair<string, string>>, IDisposable> build, string client)
    {
        try
        {
            using var probe = build(config.Where(setting => setting.Key != "bootstrap.servers"));
        }
        catch (Exception e) when (e is KafkaException or ArgumentException or InvalidOperationException)
        {
            throw new ComponentBuildException("librdkafka_options", $"librdkafka refused the {client} settings: {e.Message}", e);
        }
    }
}
