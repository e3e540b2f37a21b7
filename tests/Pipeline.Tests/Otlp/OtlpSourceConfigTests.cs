using Pipeline.Config;

namespace Pipeline.Tests.Otlp;

/// <summary><c>validate</c> on an otlp source: where each mistake is, what was expected and what was found.</summary>
public sealed class OtlpSourceConfigTests
{
    [Fact]
    public void A_source_with_grpc_and_http_on_their_default_ports_is_valid()
    {
        var config = Load(Source("grpc: {}\n    http: {}"));

        Assert.Single(config.Components, c => c.Id == "in");
    }

    [Fact]
    public void A_source_with_neither_grpc_nor_http_is_refused_saying_it_would_listen_nowhere()
    {
        var error = Only(Source("max_body: 4MiB"));

        Assert.Contains("expected grpc, http or both", error.Message, StringComparison.Ordinal);
        Assert.Contains("found neither", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_address_that_is_no_address_is_refused_at_the_listener_with_what_is_expected()
    {
        var error = Only(Source("grpc: { address: \"4317\" }"));

        Assert.Equal(4, error.Mark.Line);
        Assert.Contains("grpc.address", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected ip:port", error.Message, StringComparison.Ordinal);
        Assert.Contains("found '4317'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Grpc_and_http_on_one_port_are_refused()
    {
        var error = Only(Source("grpc: { address: \"127.0.0.1:4317\" }\n    http: { address: \"127.0.0.1:4317\" }"));

        Assert.Contains("http.address", error.Message, StringComparison.Ordinal);
        Assert.Contains("a port of their own", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_option_is_refused_with_the_option_it_resembles()
    {
        var error = Only(Source("grpc: {}\n    backpressure_timout: 1s"));

        Assert.Equal((5, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("backpressure_timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_https_address_without_tls_is_refused()
    {
        var error = Only(Source("http: { address: \"https://127.0.0.1:4318\" }"));

        Assert.Contains("http.address", error.Message, StringComparison.Ordinal);
        Assert.Contains("tls", error.Message, StringComparison.Ordinal);
    }

    private static string Source(string options) => $"""
        sources:
          in:
            type: otlp
            {options}
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
