using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Deploy;

namespace Pipeline.IntegrationTests;

/// <summary>
/// d) Dashboards: every Prometheus expression of every panel of every dashboard in deploy/grafana, with the
/// variables replaced as Grafana replaces them, returns data from the real Prometheus once the load has run.
/// </summary>
[Collection(ObservedStackCollection.Name)]
public sealed partial class DashboardScenarioTests(ObservedStack stack)
{
    /// <summary>
    /// What an operator can select: each pipeline of the stack with each of its stages and sinks (the stage-detail
    /// dashboard's <c>$stage</c>; sink-only panels such as end-to-end latency show data for sinks).
    /// </summary>
    private static readonly (string Pipeline, string Stage)[] Selections =
    [
        .. new[] { "keep", "scrub", "wait", "by_level", "out" }.Select(stage => ("it-normal", stage)),
        .. new[] { "parse", "slow", "crashy", "fine", "late", "down", "hoarding" }.Select(stage => ("it-sick", stage)),
    ];

    [Fact]
    public async Task Every_panel_query_of_every_dashboard_returns_data_after_the_load()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var queries = PanelQueries().ToList();
        Assert.NotEmpty(queries);

        async Task<List<string>> WithoutDataAsync()
        {
            var without = new List<string>();
            foreach (var (where, _, expression) in queries)
            {
                var answered = false;
                // Expressions without $stage are the same for every stage of a pipeline: ask once per pipeline.
                foreach (var (pipeline, stage) in expression.Contains("$stage", StringComparison.Ordinal) ? Selections : Selections.DistinctBy(s => s.Pipeline))
                {
                    if ((await stack.Prometheus.QueryAsync(Substitute(expression, pipeline, stage))).Count > 0)
                    {
                        answered = true;
                        break;
                    }
                }
                if (!answered)
                {
                    without.Add(where);
                }
            }
            return without;
        }

        var without = await Poll.LastAsync(WithoutDataAsync, w => w.Count == 0, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(3));
        var panels = queries.Select(q => q.Panel).Distinct().Count();
        var panelsWithout = queries.Where(q => without.Contains(q.Where)).Select(q => q.Panel).Distinct().Count();
        TestContext.Current.TestOutputHelper?.WriteLine($"panels with data: {panels - panelsWithout}/{panels}; queries with data: {queries.Count - without.Count}/{queries.Count}");
        Assert.True(without.Count == 0, $"panels with data {panels - panelsWithout}/{panels}; queries without data:\n{string.Join('\n', without)}");
    }

    private static IEnumerable<(string Where, string Panel, string Expression)> PanelQueries()
    {
        foreach (var dashboard in GrafanaDashboard.LoadAll())
        {
            foreach (var panel in dashboard.Panels)
            {
                foreach (var target in GrafanaDashboard.Targets(panel))
                {
                    var type = (string?)(target["datasource"] ?? panel["datasource"])?["type"];
                    if (type == "prometheus" && (string?)target["expr"] is { Length: > 0 } expr)
                    {
                        yield return ($"{dashboard.Describe(panel)} target {target["refId"]}: {expr}", dashboard.Describe(panel), expr);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Grafana's substitution for this stack: <c>$pipeline</c> and <c>$stage</c> single values, <c>$instance</c> its
    /// "All" value <c>.*</c>, the interval variables as Grafana computes them for a 1 s scrape interval.
    /// </summary>
    internal static string Substitute(string expression, string pipeline, string stage) =>
        VariableReference().Replace(expression, match => match.Groups["name"].Value switch
        {
            "pipeline" => pipeline,
            "stage" => stage,
            "instance" => ".*",
            "__rate_interval" => "15s",
            "__interval" => "5s",
            "__range" => "10m",
            "datasource" => match.Value,
            _ => throw new InvalidOperationException($"a dashboard variable this test does not know: {match.Value} in {expression}"),
        });

    [GeneratedRegex(@"\$\{(?<name>\w+)(?::[^}]*)?\}|\$(?<name>[A-Za-z_]\w*)")]
    private static partial Regex VariableReference();
}
