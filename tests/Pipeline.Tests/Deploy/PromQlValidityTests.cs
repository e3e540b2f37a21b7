namespace Pipeline.Tests.Deploy;

/// <summary>Every PromQL expression of the rules and dashboards, through a real Prometheus's parser.</summary>
public sealed class PromQlValidityTests
{
    [Fact]
    public async Task Every_expression_in_the_rules_and_dashboards_parses_in_a_real_Prometheus()
    {
        var prometheus = ExternalTool.Require("prometheus", "prometheus");
        var expressions = PromQlExpressions.All().ToList();
        Assert.NotEmpty(expressions);

        await using var server = await LocalPrometheus.StartAsync(prometheus);
        // One at a time: the server is shared and the machine small; a few hundred queries take well under a second.
        var failures = new List<string>();
        foreach (var (where, expression) in expressions)
        {
            if (await server.QueryErrorAsync(expression) is { } error)
            {
                failures.Add($"{where}\n  {expression}\n  -> {error}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {expressions.Count} expressions were rejected:\n{string.Join("\n", failures)}");
        // The same server rejects what Grafana would have had to substitute, so a pass above means something.
        var unsubstituted = await server.QueryErrorAsync("sum by (le) (rate(pipeline_stage_duration_seconds_bucket[$__rate_interval]))");
        Assert.StartsWith("bad_data", unsubstituted, StringComparison.Ordinal);
    }

    [Fact]
    public void Grafana_variables_are_replaced_and_regex_groups_are_left_alone()
    {
        var substituted = PromQlExpressions.Substitute(
            """label_replace(rate(x{pipeline=~"$pipeline", component_id="${stage}"}[$__rate_interval]), "t", "$1", "c", "(.*)")""",
            new HashSet<string>(StringComparer.Ordinal) { "pipeline", "stage" });

        Assert.Equal("""label_replace(rate(x{pipeline=~"sample", component_id="sample"}[1m]), "t", "$1", "c", "(.*)")""", substituted);
    }
}
