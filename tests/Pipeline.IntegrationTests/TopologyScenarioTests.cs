using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Deploy;

namespace Pipeline.IntegrationTests;

/// <summary>
/// f) Topology: the overview dashboard's node-graph queries, answered by the real Prometheus, give one node per
/// component and one edge per DAG edge, with the same ids as the pipeline's own <c>/topology</c>.
/// </summary>
[Collection(ObservedStackCollection.Name)]
public sealed partial class TopologyScenarioTests(ObservedStack stack)
{
    [Theory]
    [InlineData("it-normal")]
    [InlineData("it-sick")]
    public async Task Node_graph_queries_equal_the_topology_endpoint(string pipelineName)
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var pipeline = pipelineName == "it-normal" ? stack.Normal : stack.Sick;
        using var topology = JsonDocument.Parse(await pipeline.Admin.GetStringAsync("topology", TestContext.Current.CancellationToken));
        var expectedNodes = topology.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();
        var expectedEdges = topology.RootElement.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();

        var panel = GrafanaDashboard.LoadAll().Single(d => d.FileName == "pipeline-overview.json").Panels.Single(p => (string?)p["type"] == "nodeGraph");
        var targets = GrafanaDashboard.Targets(panel).ToList();
        var edgeTarget = targets.Single(t => ((string?)t["expr"] ?? "").Contains("edge", StringComparison.Ordinal));
        var nodeTarget = targets.First(t => t != edgeTarget);

        var nodes = await Poll.LastAsync(async () => (await stack.Prometheus.QueryAsync(Substitute((string)nodeTarget["expr"]!, pipelineName)))
                .Select(s => s.Label("component_id")).Order(StringComparer.Ordinal).ToList(),
            found => found.SequenceEqual(expectedNodes), TimeSpan.FromSeconds(60));
        Assert.Equal(expectedNodes, nodes);

        var edges = await Poll.LastAsync(async () => (await stack.Prometheus.QueryAsync(Substitute((string)edgeTarget["expr"]!, pipelineName)))
                .Select(s => s.Label("id")).Order(StringComparer.Ordinal).ToList(),
            found => found.SequenceEqual(expectedEdges), TimeSpan.FromSeconds(60));
        Assert.Equal(expectedEdges, edges);
    }

    private static string Substitute(string expression, string pipeline) =>
        VariableReference().Replace(expression, match => match.Groups["name"].Value switch
        {
            "pipeline" => pipeline,
            "instance" => ".*",
            "__rate_interval" => "15s",
            _ => match.Value,
        });

    [GeneratedRegex(@"\$\{(?<name>\w+)(?::[^}]*)?\}|\$(?<name>[A-Za-z_]\w*)")]
    private static partial Regex VariableReference();
}
