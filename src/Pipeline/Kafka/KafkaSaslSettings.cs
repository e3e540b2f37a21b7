using Pipeline.Components;

namespace Pipeline.Kafka;

/// <summary>
/// <c>sasl:</c> on a Kafka source or sink (Vector's name): a user name and a password for the brokers, the password
/// from an environment variable or a file (a mounted Secret), never from the topology itself.
/// </summary>
public sealed class KafkaSaslSettings
{
    [Option("PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, as Kafka (and Vector's sasl.mechanism) spell them; case does not matter.", Example = "SCRAM-SHA-512")]
    public string Mechanism { get; set; } = "SCRAM-SHA-512";

    [Option("The SASL user name.", Required = true, Example = "pipeline-agent")]
    public string Username { get; set; } = "";

    [Option("Environment variable holding the password (read at start).", Example = "KAFKA_PASSWORD")]
    public string? PasswordEnv { get; set; }

    [Option("File holding the password (a mounted Secret; trailing newline ignored), read at start.", Example = "/etc/pipeline/kafka/password")]
    public string? PasswordFile { get; set; }

    /// <summary>librdkafka's mechanism for <see cref="Mechanism"/>; throws naming the option when it is none of the three.</summary>
    public Confluent.Kafka.SaslMechanism LibrdkafkaMechanism(string option) => Mechanism.ToUpperInvariant() switch
    {
        "PLAIN" => Confluent.Kafka.SaslMechanism.Plain,
        "SCRAM-SHA-256" => Confluent.Kafka.SaslMechanism.ScramSha256,
        "SCRAM-SHA-512" => Confluent.Kafka.SaslMechanism.ScramSha512,
        _ => throw new ComponentBuildException(option + ".mechanism", $"expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, found '{Mechanism}'"),
    };

    /// <summary>The password, checked: exactly one of password_env and password_file, set and not empty.</summary>
    /// <param name="option">Where this block sits, such as <c>sasl</c>.</param>
    public string ReadPassword(string option, Func<string, string?> environment)
    {
        if ((PasswordEnv is null) == (PasswordFile is null))
        {
            throw new ComponentBuildException(option, "expected one of password_env and password_file (where the password comes from), found " + (PasswordEnv is null ? "neither" : "both"));
        }
        if (string.IsNullOrWhiteSpace(Username))
        {
            throw new ComponentBuildException(option + ".username", "expected a user name, found none");
        }
        if (PasswordEnv is { } name)
        {
            return environment(name) is { Length: > 0 } value
                ? value
                : throw new ComponentBuildException(option + ".password_env", $"expected the environment variable {name} to hold the password, found it unset or empty");
        }
        try
        {
            var value = File.ReadAllText(PasswordFile!).TrimEnd('\r', '\n');
            return value.Length > 0 ? value : throw new ComponentBuildException(option + ".password_file", $"expected a password in {PasswordFile}, found an empty file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ComponentBuildException(option + ".password_file", $"expected a readable file, found {PasswordFile}: {e.Message}", e);
        }
    }
}
