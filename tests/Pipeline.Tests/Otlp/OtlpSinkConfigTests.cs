using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Sinks.Otlp;

namespace Pipeline.Tests.Otlp;

/// <summary>The otlp sink's options over the standard OTEL_EXPORTER_OTLP_* variables over the defaults, and what validate refuses.</summary>
public sealed class OtlpSinkConfigTests
{
    [Fact]
    public void Unset_it_sends_over_grpc_to_localhost_4317_uncompressed_with_a_10s_timeout()
    {
        var settings = Resolve(new OtlpSinkConfig());

        Assert.Equal(("http://localhost:4317/", false, false, TimeSpan.FromSeconds(10)), (settings.Endpoint.ToString(), settings.Http, settings.Gzip, settings.Timeout));
        Assert.Empty(settings.Headers);
    }

    [Fact]
    public void The_general_endpoint_gets_v1_logs_for_http_while_the_logs_endpoint_is_used_as_is()
    {
        var general = Resolve(new OtlpSinkConfig(), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/otlp"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));
        var specific = Resolve(new OtlpSinkConfig(),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"), ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:9000/ingest"), ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"));
        var yaml = Resolve(new OtlpSinkConfig { Endpoint = "http://collector:4318/v1/logs", Protocol = "http/protobuf" });

        Assert.Equal("http://collector:4318/otlp/v1/logs", general.Endpoint.ToString());
        Assert.Equal("http://logs:9000/ingest", specific.Endpoint.ToString());
        Assert.Equal("http://collector:4318/v1/logs", yaml.Endpoint.ToString());
    }

    [Fact]
    public void Headers_timeout_and_compression_come_from_the_variables_when_the_options_are_unset_the_logs_ones_first()
    {
        var settings = Resolve(new OtlpSinkConfig(),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-general=1"), ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "api-key=s%3Dcret, X-Team=logs"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"), ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip"));
        var yaml = Resolve(new OtlpSinkConfig { Headers = new() { ["x-mine"] = "2" }, Timeout = TimeSpan.FromSeconds(1), Compression = OtlpSinkConfig.RequestCompression.None },
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-general=1"), ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"), ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"));

        // gRPC metadata names are lowercase.
        Assert.Equal(["api-key=s=cret", "x-team=logs"], settings.Headers.Select(h => $"{h.Key}={h.Value}"));
        Assert.Equal((TimeSpan.FromMilliseconds(2500), true), (settings.Timeout, settings.Gzip));
        Assert.Equal(["x-mine=2"], yaml.Headers.Select(h => $"{h.Key}={h.Value}"));
        Assert.Equal((TimeSpan.FromSeconds(1), false), (yaml.Timeout, yaml.Gzip));
    }

    [Fact]
    public void A_misspelt_protocol_is_refused_at_its_line_with_the_one_it_resembles()
    {
        var error = Only(Sink("protocol: http/protobuff"));

        Assert.Equal((7, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'protocol': expected grpc or http/protobuf, found 'http/protobuff' (did you mean 'http/protobuf'?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_value_in_a_variable_is_refused_naming_the_variable()
    {
        var error = Only(Sink("timeout: 5s"), ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"));

        Assert.Contains("option 'protocol': OTEL_EXPORTER_OTLP_LOGS_PROTOCOL (which stands in for protocol): expected grpc or http/protobuf, found 'http/json'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("endpoint: collector:4317", "option 'endpoint': expected an http:// or https:// URL, found 'collector:4317'")]
    [InlineData("tls: { verify_hostname: false }", "option 'tls': a tls block takes effect only for an https:// endpoint, found 'http://localhost:4317/'")]
    [InlineData("headers: { grpc-timeout: 1S }", "option 'headers': expected a request header name, found 'grpc-timeout'")]
    [InlineData("timeout: 0s", "option 'timeout': expected a duration above 0")]
    public void Validate_refuses_an_option_that_cannot_work(string option, string expected)
    {
        var error = Only(Sink(option));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_sink_loads_without_connecting()
        => ConfigLoader.LoadYaml(Sink("endpoint: http://192.0.2.1:4317"), "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());

    private static OtlpExportSettings Resolve(OtlpSinkConfig config, params (string Name, string Value)[] environment)
    {
        var variables = environment.ToDictionary(v => v.Name, v => v.Value);
        var factory = (OtlpSinkFactory)config.Build(new ComponentContext("out", "test", Path.GetTempPath()) { Environment = name => variables.GetValueOrDefault(name) });
        return factory.Settings;
    }

    private static string Sink(string option) => $"""
        sources:
          in: {"{type: stdin}"}
        sinks:
          out:
            type: otlp
            inputs: [in]
            {option}
        """;

    private static ConfigError Only(string yaml, params (string Name, string Value)[] environment)
    {
        var errors = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), environment.ToDictionary(v => v.Name, v => v.Value))).Errors;
        Assert.True(errors.Count == 1, $"expected exactly one error, found {errors.Count}:\n{string.Join("\n", errors)}");
        return errors[0];
    }
}
