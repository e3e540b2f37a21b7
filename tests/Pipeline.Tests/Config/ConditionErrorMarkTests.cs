using System.Text.RegularExpressions;
using Pipeline.Config;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Config;

/// <summary>A condition that does not compile is reported at the character of the YAML file where the mistake is.</summary>
public sealed class ConditionErrorMarkTests
{
    private static IReadOnlyList<ConfigError> ErrorsOf(string condition) => Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml($"""
        sources:
          in: {"{"}type: generator{"}"}
        stages:
          keep:
            type: filter
            inputs: [in]
            condition: {condition}
        sinks:
          out: {"{"}type: stdout, inputs: [keep]{"}"}
        """, ConfigErrors.File, BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;

    [Fact]
    public void A_misspelt_function_in_a_plain_condition_is_reported_at_its_column_with_a_caret_line()
    {
        var errors = ErrorsOf(".level == \"error\" && contians(.message, \"timeout\")");

        var error = ConfigErrors.Only(errors, "unknown function 'contians' (did you mean 'contains'?)", 7, 37);
        Assert.Equal("""
            test.yaml:7:37: error: stage 'keep' (filter): option 'condition': invalid condition: unknown function 'contians' (did you mean 'contains'?)
              .level == "error" && contians(.message, "timeout")
                                   ^
            """.ReplaceLineEndings("\n"), error.ToString());
    }

    [Fact]
    public void A_single_quoted_condition_counts_columns_from_after_the_quote()
    {
        var errors = ErrorsOf("'.status >= 500 and .level == \"error\"'");

        ConfigErrors.Only(errors, "'and' is not an operator in a condition (did you mean '&&'?)", 7, 32);
    }

    [Fact]
    public void A_double_quoted_condition_with_escapes_is_reported_at_the_value()
    {
        var errors = ErrorsOf("\"level == \\\"error\\\"\"");

        var error = ConfigErrors.Only(errors, "unknown name 'level': a field path starts with '.' (did you mean '.level'?)", 7, 16);
        Assert.EndsWith("\n  level == \"error\"\n  ^", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_condition_is_reported_at_its_own_line_and_column()
    {
        var errors = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml("""
            sources:
              in: {type: generator}
            stages:
              split:
                type: route
                inputs: [in]
                routes:
                  errors: .level == "error"
                  slow: .latency_ms > 250 ||
            sinks:
              out: {type: stdout, inputs: [split.errors, split.slow, split._unmatched]}
            """, ConfigErrors.File, BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;

        ConfigErrors.Only(errors, "option 'routes.slow': invalid condition: expected a value after the operator, found the end of the condition", 9, 33);
    }

    [Fact]
    public void The_example_in_docs_expressions_is_what_validate_prints()
    {
        var doc = File.ReadAllText(RepositoryRoot.Combine("docs", "expressions.md")).ReplaceLineEndings("\n");
        var yaml = Regex.Match(doc, "```yaml\n# filter.yaml\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var printed = Regex.Match(doc, "```text\n\\$ pipeline validate --config filter.yaml\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        Assert.NotEqual("", yaml);

        var errors = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, "filter.yaml", BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;

        Assert.Equal(printed, string.Join("\n", errors) + $"\n{errors.Count} errors\n");
    }
}
