using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Serilog.Events;
using Serilog.Sinks.OpenTelemetry;

namespace Pipeline.Tests.Logging;

public sealed class LogsSettingsTests
{
    private const string Topology = """
        sources:
          gen: {type: generator, count: 1}
        sinks:
          out: {type: blackhole, inputs: [gen]}
        """;

    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void Shipping_is_off_and_the_level_is_information_by_default()
    {
        var logs = Load("");

        var errors = new List<SettingError>();
        var shipping = logs.ResolveShipping(NoEnvironment, errors);

        Assert.Empty(errors);
        Assert.False(shipping.Enabled);
        Assert.Equal(LogEventLevel.Information, logs.ResolveLevel(NoEnvironment, out var levelError));
        Assert.Null(levelError);
    }

    [Fact]
    public void YAML_turns_on_both_shippers_with_their_settings()
    {
        var logs = Load("""
            telemetry:
              logs:
                level: debug
                otlp_enabled: true
                otlp_endpoint: http://collector:4318
                otlp_protocol: http_protobuf
                otlp_headers: {x-api-key: secret}
                elasticsearch_urls: [http://es1:9200, http://es2:9200]
                elasticsearch_data_stream: logs-pipeline-prod
                elasticsearch_api_key: a2V5OnNlY3JldA==
                batch_size: 200
                batch_timeout: 500ms
                queue_limit: 5000
                retry_time_limit: 30s
            """);

        var errors = new List<SettingError>();
        var shipping = logs.ResolveShipping(NoEnvironment, errors);

        Assert.Empty(errors);
        Assert.Equal(LogEventLevel.Debug, logs.ResolveLevel(NoEnvironment, out _));
        Assert.Equal("http://collector:4318", shipping.Otlp!.Endpoint);
        Assert.Equal(OtlpProtocol.HttpProtobuf, shipping.Otlp.Protocol);
        Assert.Equal("secret", shipping.Otlp.Headers!["x-api-key"]);
        Assert.Equal([new Uri("http://es1:9200"), new Uri("http://es2:9200")], shipping.Elasticsearch!.Urls);
        Assert.Equal("logs-pipeline-prod", shipping.Elasticsearch.DataStream);
        Assert.Equal("a2V5OnNlY3JldA==", shipping.Elasticsearch.ApiKey);
        Assert.Equal((200, TimeSpan.FromMilliseconds(500), 5000, TimeSpan.FromSeconds(30)),
            (shipping.BatchSizeLimit, shipping.BufferingTimeLimit, shipping.QueueLimit, shipping.RetryTimeLimit));
    }

    [Fact]
    public void The_environment_turns_shipping_on_and_sets_the_level_where_YAML_is_silent()
    {
        var environment = new Dictionary<string, string>
        {
            ["PIPELINE_LOG_OTLP"] = "true",
            ["PIPELINE_LOG_ELASTICSEARCH_URL"] = "http://es1:9200, http://es2:9200",
            ["PIPELINE_LOG_LEVEL"] = "warn",
            ["OTEL_SERVICE_NAME"] = "edge-collector",
        };
        var logs = Load("");

        var errors = new List<SettingError>();
        var shipping = logs.ResolveShipping(name => environment.GetValueOrDefault(name), errors);

        Assert.Empty(errors);
        Assert.NotNull(shipping.Otlp);
        Assert.Null(shipping.Otlp.Endpoint);
        Assert.Equal(2, shipping.Elasticsearch!.Urls.Count);
        Assert.Equal(ElasticsearchLogOptions.DefaultDataStream, shipping.Elasticsearch.DataStream);
        Assert.Equal("edge-collector", shipping.Service.Name);
        Assert.Equal(LogEventLevel.Warning, logs.ResolveLevel(name => environment.GetValueOrDefault(name), out _));
    }

    [Fact]
    public void YAML_wins_over_the_environment()
    {
        var environment = new Dictionary<string, string> { ["PIPELINE_LOG_OTLP"] = "true", ["PIPELINE_LOG_LEVEL"] = "verbose" };
        var logs = Load("""
            telemetry:
              logs: {level: error, otlp_enabled: false}
            """);

        var shipping = logs.ResolveShipping(name => environment.GetValueOrDefault(name), []);

        Assert.Null(shipping.Otlp);
        Assert.Equal(LogEventLevel.Error, logs.ResolveLevel(name => environment.GetValueOrDefault(name), out _));
    }

    [Fact]
    public void Bad_yaml_values_fail_the_load_at_their_line_and_column()
    {
        var error = Assert.Throws<ConfigException>(() => Load("""
            telemetry:
              logs:
                elasticsearch_urls: ["es1:9200"]
                queue_limit: 0
            """));

        Assert.Equal(
            [
                "logs.yaml:3:5: error: 'telemetry.logs.elasticsearch_urls': expected absolute http:// or https:// URLs, found 'es1:9200'",
                "logs.yaml:4:5: error: 'telemetry.logs.queue_limit': expected an integer between 1 and 1,000,000, found 0",
            ],
            error.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Bad_environment_values_name_the_variable_what_was_expected_and_what_was_found()
    {
        var environment = new Dictionary<string, string> { ["PIPELINE_LOG_LEVEL"] = "loud", ["PIPELINE_LOG_OTLP"] = "yes" };
        var logs = new LogsSettings();

        var errors = new List<SettingError>();
        logs.ResolveShipping(name => environment.GetValueOrDefault(name), errors);
        logs.ResolveLevel(name => environment.GetValueOrDefault(name), out var levelError);

        Assert.Equal(new SettingError("PIPELINE_LOG_OTLP", "expected true or false, found 'yes'"), Assert.Single(errors));
        Assert.Equal(new SettingError("PIPELINE_LOG_LEVEL", "expected one of verbose, debug, information, warning, error, fatal (or trace, info, warn), found 'loud'"), levelError);
        // The loader resolves against the same environment, so validate reports them too, at the section they belong to.
        var loading = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(
            "telemetry:\n  logs: {batch_size: 10}\n" + Topology, "logs.yaml", BuiltInComponents.Create(), environment));
        Assert.Equal(
            [
                "logs.yaml:2:3: error: 'telemetry.logs': environment variable PIPELINE_LOG_LEVEL: expected one of verbose, debug, information, warning, error, fatal (or trace, info, warn), found 'loud'",
                "logs.yaml:2:3: error: 'telemetry.logs': environment variable PIPELINE_LOG_OTLP: expected true or false, found 'yes'",
            ],
            loading.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void An_unknown_level_in_YAML_is_a_config_error_listing_the_levels()
    {
        var error = Assert.Throws<ConfigException>(() => Load("""
            telemetry:
              logs: {level: loud}
            """));

        Assert.Contains("'telemetry.logs.level': expected one of verbose, debug, information, warning, error, fatal, found 'loud'", error.Message, StringComparison.Ordinal);
    }

    private static LogsSettings Load(string telemetry)
        => ConfigLoader.LoadYaml(telemetry + "\n" + Topology, "logs.yaml", BuiltInComponents.Create(), new Dictionary<string, string>()).Logs;
}
