using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Deploy;

namespace Pipeline.IntegrationTests;

/// <summary>
/// f) Topology: the overview dashboard's node-graph queries, answered by the real Prometheus, give one node per
/// component and one edge per DAG edge, with the same ids as the pipeline's own <c>/topology</c>.
/// </summary>
[Collection(ObservedStackCollection.Name)]
public sealed class TopologyScenarioTests(ObservedStack stack)
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

        var nodes = await Poll.LastAsync(async () => (await stack.Prometheus.QueryAsync(DashboardScenarioTests.Substitute((string)nodeTarget["expr"]!, pipelineName, stage: "")))
                .Select(s => s.Label("component_id")).Order(StringComparer.Ordinal).ToList(),
            found => found.SequenceEqual(expectedNodes), TimeSpan.FromSeconds(60));
        Assert.Equal(expectedNodes, nodes);

        var edges = await Poll.LastAsync(async () => (await stack.Prometheus.QueryAsync(DashboardScenarioTests.Substitute((string)edgeTarget["expr"]!, pipelineName, stage: "")))
                .Select(s => s.Label("id")).Order(StringComparer.Ordinal).ToList(),
            found => found.SequenceEqual(expectedEdges), TimeSpan.FromSeconds(60));
        Assert.Equal(expectedEdges, edges);
    }
}
