using Pipeline.Config;

namespace Pipeline.Tests.Elasticsearch;

/// <summary><c>validate</c> refuses an elasticsearch sink that cannot work, at the option's line and column, without connecting.</summary>
public sealed class ElasticsearchSinkConfigTests
{
    [Fact]
    public void A_minimal_sink_writes_to_the_default_data_stream_and_connects_to_nothing_at_validate()
        => Load(Sink(""));

    [Fact]
    public void An_endpoint_that_is_no_http_uri_is_refused_at_the_endpoints()
    {
        var error = Only(Sink("", endpoints: "[\"es-0:9200\"]"));

        Assert.Equal((7, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'endpoints': expected an absolute http:// or https:// URI, found 'es-0:9200'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_in_an_endpoint_are_refused_and_sent_to_auth()
    {
        var error = Only(Sink("", endpoints: "[\"http://elastic:changeme@es:9200\"]"));

        Assert.Contains("expected a URI without credentials (they belong in auth", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("changeme", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_mode_is_refused_with_the_right_one_suggested()
    {
        var error = Only(Sink("mode: datastream"));

        Assert.Equal((8, 11), (error.Mark.Line, error.Mark.Column));
        Assert.Equal("data_stream", error.Suggestion);
    }

    [Fact]
    public void An_unknown_date_code_in_the_index_is_refused_naming_its_position()
    {
        var error = Only(Sink("mode: bulk\n    bulk: { index: \"app-%Y.%q\" }"));

        Assert.Contains("option 'bulk.index': index \"app-%Y.%q\" has an unknown date code at position 8: expected one of %Y %m %d %H %M %S %j %%", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_literal_index_that_elasticsearch_would_refuse_is_refused_at_validate()
    {
        var error = Only(Sink("mode: bulk\n    bulk: { index: App-Logs }"));

        Assert.Contains("option 'bulk.index': index \"App-Logs\" is not an Elasticsearch index name: it has upper-case letters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_date_code_in_a_data_stream_is_refused_saying_why()
    {
        var error = Only(Sink("data_stream: { dataset: \"app-%Y\" }"));

        Assert.Contains("option 'data_stream.dataset'", error.Message, StringComparison.Ordinal);
        Assert.Contains("a data stream name takes no date codes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bulk_block_with_mode_data_stream_is_refused_saying_what_to_change()
    {
        var error = Only(Sink("bulk: { index: app }"));

        Assert.Contains("option 'bulk': bulk applies to mode: bulk, found it with mode: data_stream", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_id_field_without_its_leading_dot_is_refused_with_the_field_path_suggested()
    {
        var error = Only(Sink("id_field: event_id"));

        Assert.Contains("option 'id_field': expected a field path with a leading dot such as .event_id, found 'event_id' (did you mean '.event_id'?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Basic_auth_without_a_password_source_is_refused()
    {
        var error = Only(Sink("auth: { strategy: basic, user: writer }"));

        Assert.Contains("option 'auth': expected one of password_env and password_file (where the password comes from), found neither", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_api_key_from_an_unset_variable_is_refused_naming_the_variable()
    {
        var error = Only(Sink("auth: { strategy: api_key, api_key_env: ES_API_KEY_UNSET_IN_TESTS }"));

        Assert.Contains("option 'auth.api_key_env': expected the environment variable ES_API_KEY_UNSET_IN_TESTS to hold the api_key, found it unset or empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_option_of_another_strategy_is_refused_rather_than_ignored()
    {
        var error = Only(Sink("auth: { strategy: api_key, api_key_env: K, password_env: P }"));

        Assert.Contains("option 'auth.password_env': password_env belongs to strategy basic, found it with strategy api_key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inline_password_is_refused_as_an_unknown_option()
    {
        var error = Only(Sink("auth: { strategy: basic, user: writer, password: hunter2 }"));

        Assert.Contains("password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_request_timeout_is_refused()
    {
        var error = Only(Sink("request: { timeout: 0s }"));

        Assert.Contains("option 'request.timeout': expected a duration above 0", error.Message, StringComparison.Ordinal);
    }

    private static string Sink(string option, string endpoints = "[\"http://localhost:9200\"]") => $"""
        sources:
          in: {"{type: stdin}"}
        sinks:
          out:
            type: elasticsearch
            inputs: [in]
            endpoints: {endpoints}
            {option}
        """;

    private static void Load(string yaml) => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());

    private static ConfigError Only(string yaml)
    {
        var errors = Assert.Throws<ConfigException>(() => Load(yaml)).Errors;
        Assert.True(errors.Count == 1, $"expected exactly one error, found {errors.Count}:\n{string.Join("\n", errors)}");
        return errors[0];
    }
}
