using System.Diagnostics;
using Pipeline.Config;

namespace Pipeline.Tests.Kafka;

/// <summary>More of <c>validate</c> on a kafka source (KafkaSourceConfigTests has the rest): positions, suggestions, each duration, no broker.</summary>
public sealed class KafkaSourceConfigErrorTests
{
    [Fact]
    public void A_source_with_its_required_options_is_valid_at_once_when_no_broker_answers()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): nothing answers there, so a connection attempt would only time out.
        var clock = Stopwatch.StartNew();
        var config = Load(Source("commit_interval: 1s", bootstrap: "bootstrap_servers: \"192.0.2.1:9092\""));

        Assert.Single(config.Components, c => c.Id == "in");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"validate took {clock.Elapsed}");
    }

    [Fact]
    public void A_missing_group_id_is_refused_as_required()
    {
        var error = Only("""
            sources:
              in: {type: kafka, bootstrap_servers: "b:9092", topics: [logs]}
            sinks:
              out: {type: blackhole, inputs: [in]}
            """);

        Assert.Contains("group_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_option_is_refused_with_the_option_it_resembles()
    {
        var error = Only(Source("comit_interval: 1s"));

        Assert.Equal((7, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("commit_interval", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_auto_offset_reset_other_than_earliest_or_latest_is_refused_naming_both()
    {
        var error = Only(Source("auto_offset_reset: smallest"));

        Assert.Contains("earliest", error.Message, StringComparison.Ordinal);
        Assert.Contains("latest", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("commit_interval")]
    [InlineData("drain_timeout")]
    [InlineData("session_timeout")]
    public void A_duration_of_zero_is_refused(string option)
    {
        var error = Only(Source($"{option}: 0s"));

        Assert.Contains($"option '{option}': expected a duration above 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_metadata_field_that_is_not_a_field_path_is_refused_at_its_option()
    {
        var error = Only(Source("partition_key: \"a..b\""));

        Assert.Equal((7, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'partition_key': expected a field path or \"\", found 'a..b'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_metadata_field_name_leaves_that_field_out_and_is_accepted()
        => Load(Source("headers_key: \"\"\n    key_field: \"\""));

    private static string Source(string option, string bootstrap = "bootstrap_servers: \"localhost:9092\"") => $"""
        sources:
          in:
            type: kafka
            {bootstrap}
            group_id: aggregator
            topics: [logs]
            {option}
        sinks:
          out: {"{type: blackhole, inputs: [in]}"}
        """;

    private static PipelineConfig Load(string yaml) => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());

    private static ConfigError Only(string yaml)
    {
        var errors = Assert.Throws<ConfigException>(() => Load(yaml)).Errors;
        Assert.True(errors.Count == 1, $"expected exactly one error, found {errors.Count}:\n{string.Join("\n", errors)}");
        return errors[0];
    }
}
