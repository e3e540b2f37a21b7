using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Kafka;

namespace Pipeline.Tests.Kafka;

/// <summary>bootstrap_servers, sasl and librdkafka_options as both Kafka components turn them into librdkafka's settings.</summary>
public sealed class KafkaConnectionTests
{
    private static readonly Dictionary<string, string> NoOptions = [];

    [Fact]
    public void Sasl_with_a_password_from_the_environment_speaks_sasl_plaintext_with_the_mechanism_spelt_as_kafka_does()
    {
        var config = new ClientConfig();
        var sasl = new KafkaSaslSettings { Mechanism = "scram-sha-256", Username = "agent", PasswordEnv = "KAFKA_PASSWORD" };

        KafkaConnection.Apply(config, "k1:9092", null, sasl, NoOptions, name => name == "KAFKA_PASSWORD" ? "s3cret" : null);

        Assert.Equal(SecurityProtocol.SaslPlaintext, config.SecurityProtocol);
        Assert.Equal(SaslMechanism.ScramSha256, config.SaslMechanism);
        Assert.Equal("agent", config.SaslUsername);
        Assert.Equal("s3cret", config.SaslPassword);
    }

    [Fact]
    public void A_password_file_is_read_without_its_trailing_newline()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-a-secret\n");
            var config = new ClientConfig();

            KafkaConnection.Apply(config, "k1:9092", null, new KafkaSaslSettings { Username = "agent", PasswordFile = file }, NoOptions, _ => null);

            Assert.Equal("from-a-secret", config.SaslPassword);
            Assert.Equal(SaslMechanism.ScramSha512, config.SaslMechanism);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("SCRAM-SHA-1", "KAFKA_PASSWORD", null, "sasl.mechanism", "expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, found 'SCRAM-SHA-1'")]
    [InlineData("PLAIN", "UNSET_VARIABLE", null, "sasl.password_env", "expected the environment variable UNSET_VARIABLE to hold the password")]
    [InlineData("PLAIN", null, null, "sasl", "expected one of password_env and password_file")]
    public void A_sasl_block_that_cannot_work_is_refused_naming_its_option(string mechanism, string? passwordEnv, string? passwordFile, string option, string expected)
    {
        var sasl = new KafkaSaslSettings { Mechanism = mechanism, Username = "agent", PasswordEnv = passwordEnv, PasswordFile = passwordFile };

        var error = Assert.Throws<ComponentBuildException>(() =>
            KafkaConnection.Apply(new ClientConfig(), "k1:9092", null, sasl, NoOptions, name => name == "KAFKA_PASSWORD" ? "pw" : null));

        Assert.Equal(option, error.Option);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Librdkafka_options_may_not_override_what_the_components_own_options_set()
    {
        var error = Assert.Throws<ComponentBuildException>(() =>
            KafkaConnection.Apply(new ClientConfig(), "k1:9092", null, null, new Dictionary<string, string> { ["sasl.password"] = "x" }, _ => null));

        Assert.Equal("librdkafka_options", error.Option);
        Assert.Contains("'sasl.password' is set by the component's own options", error.Message, StringComparison.Ordinal);
    }
}
