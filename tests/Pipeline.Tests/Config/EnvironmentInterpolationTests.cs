using Pipeline.Config;

namespace Pipeline.Tests.Config;

public sealed class EnvironmentInterpolationTests
{
    private const string Topology = """
        name: ${NAME:-fallback}
        sources:
          in: {type: gen, rate: "${RATE}", label: "cost: $$5 for ${WHAT}"}
        sinks:
          o: {type: out, inputs: [in]}
        """;

    private static TestComponents.GeneratorOptions SourceOptions(PipelineConfig config)
        => (TestComponents.GeneratorOptions)config.Sources.Single().Options;

    [Fact]
    public void Set_variables_replace_their_references_and_double_dollar_is_a_literal_dollar()
    {
        var config = ConfigLoader.LoadYaml(Topology, "t.yaml", new TestComponents().Catalog, new Dictionary<string, string>
        {
            ["NAME"] = "edge",
            ["RATE"] = "250",
            ["WHAT"] = "coffee",
        });

        Assert.Equal("edge", config.Name);
        Assert.Equal(250, SourceOptions(config).Rate);
        Assert.Equal("cost: $5 for coffee", SourceOptions(config).Label);
    }

    [Fact]
    public void Default_applies_when_the_variable_is_unset_or_empty()
    {
        var unset = ConfigLoader.LoadYaml(Topology, "t.yaml", new TestComponents().Catalog, new Dictionary<string, string> { ["RATE"] = "1", ["WHAT"] = "" });
        var empty = ConfigLoader.LoadYaml(Topology, "t.yaml", new TestComponents().Catalog, new Dictionary<string, string> { ["NAME"] = "", ["RATE"] = "1", ["WHAT"] = "" });

        Assert.Equal("fallback", unset.Name);
        Assert.Equal("fallback", empty.Name);
        Assert.Equal("cost: $5 for ", SourceOptions(empty).Label);
    }

    [Fact]
    public void Unset_variable_without_default_is_an_error_at_its_value()
    {
        var errors = ConfigErrors.Of(Topology, new Dictionary<string, string> { ["WHAT"] = "tea" });

        var error = ConfigErrors.Only(errors, "environment variable 'RATE' is not set (expected it set, or a default: ${RATE:-default})", 3, 25);
        Assert.Null(error.Suggestion);
    }

    [Fact]
    public void Interpolated_values_are_type_checked_like_written_ones()
    {
        var errors = ConfigErrors.Of(Topology, new Dictionary<string, string> { ["RATE"] = "lots", ["WHAT"] = "tea" });

        ConfigErrors.Only(errors, "source 'in' (gen): option 'rate': expected an integer, found 'lots'", 3, 25);
    }

    [Fact]
    public void Unclosed_reference_is_an_error()
    {
        var errors = ConfigErrors.Of("""
            name: ${NAME
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "expected '}' to close '${' in '${NAME' (write $$ for a literal $)", 1, 7);
    }

    [Fact]
    public void Without_an_environment_the_process_environment_is_used()
    {
        var variable = "PIPELINE_CONFIG_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "77");
        try
        {
            var config = ConfigLoader.LoadYaml(Topology.Replace("${RATE}", "${" + variable + "}", StringComparison.Ordinal).Replace("${WHAT}", "x", StringComparison.Ordinal), "t.yaml", new TestComponents().Catalog);

            Assert.Equal(77, SourceOptions(config).Rate);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
