using System.Diagnostics;
using Pipeline.Config;

namespace Pipeline.Tests.Kafka;

/// <summary><c>validate</c> refuses a kafka sink that cannot work, at the option's line and column, without waiting on a broker.</summary>
public sealed class KafkaSinkConfigTests
{
    [Fact]
    public void A_key_without_its_leading_dot_is_refused_with_the_field_path_suggested()
    {
        var error = Only(Sink("key_field: user_id"));

        Assert.Equal((9, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'key_field': expected trace_id, none or a field path with a leading dot such as .user_id, found 'user_id' (did you mean '.user_id'?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idempotence_with_acks_other_than_all_is_refused_saying_what_to_change()
    {
        var error = Only(Sink("acks: leader"));

        Assert.Contains("option 'idempotence': the idempotent producer needs acks: all", error.Message, StringComparison.Ordinal);
        Assert.Contains("found acks: leader; set acks: all, or idempotence: false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acks_leader_without_idempotence_is_accepted()
        => ConfigLoader.LoadYaml(Sink("acks: leader\n    idempotence: false"), "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());

    [Fact]
    public void An_unclosed_topic_placeholder_is_refused_at_the_topic()
    {
        var error = Only(Sink("key_field: none", topic: "\"logs-{{ .service\""));

        Assert.Equal((8, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'topic': template \"logs-{{ .service\" has an unclosed '{{' at position 6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_literal_topic_that_kafka_would_refuse_is_refused_at_validate()
    {
        var error = Only(Sink("key_field: none", topic: "\"app logs\""));

        Assert.Contains("option 'topic': expected a Kafka topic name (up to 249 of a-z A-Z 0-9 . _ -), found 'app logs'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_timeout_of_zero_is_refused()
    {
        var error = Only(Sink("message_timeout: 0s"));

        Assert.Contains("option 'message_timeout': expected a duration above 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_librdkafka_setting_is_refused_at_validate_with_librdkafkas_reason()
    {
        var error = Only(Sink("librdkafka_options: { lingr.ms: \"5\" }"));

        Assert.Contains("option 'librdkafka_options': librdkafka refused the producer settings", error.Message, StringComparison.Ordinal);
        Assert.Contains("lingr.ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_setting_in_librdkafka_options_is_sent_to_its_own_option()
    {
        var error = Only(Sink("librdkafka_options: { security.protocol: ssl }"));

        Assert.Contains("'security.protocol' is set by the component's own options", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_topic_is_refused_as_required()
    {
        var error = Only("""
            sources:
              in: {type: stdin}
            sinks:
              out: {type: kafka, inputs: [in], bootstrap_servers: "b:9092"}
            """);

        Assert.Contains("topic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_returns_at_once_when_no_broker_answers()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): nothing answers there, so a connection attempt would only time out.
        var clock = Stopwatch.StartNew();
        var config = ConfigLoader.LoadYaml("""
            sources:
              in: {type: stdin}
            sinks:
              out: {type: kafka, inputs: [in], bootstrap_servers: "192.0.2.1:9092", topic: events}
            """, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());

        Assert.Single(config.Components, c => c.Id == "out");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"validate took {clock.Elapsed}");
    }

    private static string Sink(string option, string topic = "events") => $"""
        sources:
          in: {"{type: stdin}"}
        sinks:
          out:
            type: kafka
            inputs: [in]
            bootstrap_servers: "localhost:9092"
            topic: {topic}
            {option}
        """;

    private static ConfigError Only(string yaml)
    {
        var errors = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;
        Assert.True(errors.Count == 1, $"expected exactly one error, found {errors.Count}:\n{string.Join("\n", errors)}");
        return errors[0];
    }
}
