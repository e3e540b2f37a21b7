using System.Net;
using System.Text.Json;
using Pipeline.Host;

namespace Pipeline.Tests.EndToEnd;

/// <summary>The admin port: probes, metrics and the topology, over real HTTP on 127.0.0.1.</summary>
public sealed class AdminServerTests : IDisposable
{
    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Probes_metrics_and_topology_describe_the_running_pipeline()
    {
        var config = _harness.Load("""
            name: admin-e2e
            data_dir: {dir}
            sources:
              gen: { type: generator, count: 500, seed: 5 }
            stages:
              keep: { type: filter, inputs: [gen], condition: '.status < 500' }
            sinks:
              out: { type: blackhole, inputs: [keep] }
            """);
        await using var topology = _harness.Build(config);
        await using var admin = await AdminServer.StartAsync("127.0.0.1:0", topology, _harness.Metrics, _harness.Logger, TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri(admin.Addresses.Single()) };
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz", ct)).StatusCode); // not started yet

        await topology.StartAsync(ct);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", ct)).StatusCode);
        await topology.Completion.WaitAsync(EndToEndHarness.HangGuard, ct);

        var delivered = topology.Snapshot().Nodes.Single(n => n.Id == "out").Sent;
        var metrics = await http.GetStringAsync("/metrics", ct);
        Assert.Contains(
            $"pipeline_component_sent_events_total{{pipeline=\"admin-e2e\",component_id=\"out\",component_kind=\"sink\"}} {delivered}",
            metrics, StringComparison.Ordinal);
        Assert.Contains(
            "pipeline_component_received_events_total{pipeline=\"admin-e2e\",component_id=\"keep\",component_kind=\"processor\"} 500",
            metrics, StringComparison.Ordinal);

        using var topologyJson = JsonDocument.Parse(await http.GetStringAsync("/topology", ct));
        var nodes = topologyJson.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()).ToList();
        Assert.Equal(["gen", "keep", "out"], nodes);
        var edges = topologyJson.RootElement.GetProperty("edges").EnumerateArray()
            .Select(e => $"{e.GetProperty("from").GetString()}->{e.GetProperty("to").GetString()}").ToList();
        Assert.Equal(["gen->keep", "keep->out"], edges);

        var stopping = topology.StopAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz", ct)).StatusCode);
        Assert.True((await stopping).Drained);
    }
}
