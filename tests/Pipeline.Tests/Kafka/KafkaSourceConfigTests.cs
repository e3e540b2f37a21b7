using Pipeline.Config;

namespace Pipeline.Tests.Kafka;

/// <summary><c>validate</c> refuses a kafka source that cannot work, at the option's position, without connecting.</summary>
public sealed class KafkaSourceConfigTests
{
    [Theory]
    [InlineData("group_id: \"\"", "option 'group_id': expected a consumer group id, found none")]
    [InlineData("topics: []", "option 'topics': expected one or more topic names, found none")]
    [InlineData("commit_interval: 0s", "option 'commit_interval': expected a duration above 0")]
    [InlineData("librdkafka_options: { enable.auto.commit: \"true\" }", "option 'librdkafka_options': 'enable.auto.commit' is set by the source")]
    [InlineData("librdkafka_options: { fetch.max.bytez: \"1000\" }", "option 'librdkafka_options': librdkafka refused the consumer settings")]
    [InlineData("partition_key: \"..x\"", "option 'partition_key': expected a field path or \"\"")]
    public void A_source_that_cannot_work_is_refused_naming_its_option(string setting, string expected)
    {
        var errors = Assert.Throws<ConfigException>(() => Load(setting)).Errors;

        var error = Assert.Single(errors);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_validate_and_the_stage_behind_routes_by_partition()
    {
        var config = Load("auto_offset_reset: latest");

        Assert.Equal("kafka", Assert.Single(config.Sources).Type);
        Assert.Equal(Pipeline.Isolates.RouterKind.KeyAffinity, Assert.Single(config.Stages).Stage.Router);
        Assert.Equal(".partition", Assert.Single(config.Stages).Stage.Key?.Text);
    }

    [Fact]
    public void Leaving_the_partition_field_out_leaves_the_stage_to_its_default_router()
    {
        var config = Load("partition_key: \"\"");

        Assert.Equal(Pipeline.Isolates.RouterKind.RoundRobin, Assert.Single(config.Stages).Stage.Router);
    }

    /// <summary>A kafka source with <paramref name="setting"/>, and group_id and topics unless the setting is one of them.</summary>
    private static PipelineConfig Load(string setting) => ConfigLoader.LoadYaml($"""
        sources:
          in:
            type: kafka
            bootstrap_servers: 127.0.0.1:9
            {(setting.StartsWith("group_id", StringComparison.Ordinal) ? "" : "group_id: g")}
            {(setting.StartsWith("topics", StringComparison.Ordinal) ? "" : "topics: [logs]")}
            {setting}
        stages:
          work: {"{"} type: filter, inputs: [in], condition: "true", isolates: 2 {"}"}
        sinks:
          out: {"{"} type: blackhole, inputs: [work] {"}"}
        """, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());
}
