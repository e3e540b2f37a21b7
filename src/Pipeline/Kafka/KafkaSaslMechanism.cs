namespace Pipeline.Kafka;

/// <summary>The SASL mechanisms librdkafka speaks with a user name and a password.</summary>
public enum KafkaSaslMechanism
{
    Plain,
    ScramSha256,
    ScramSha512,
}
