using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using Pipeline.Tests.Deploy;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>
/// Grafana with deploy/grafana mounted as the compose stack mounts it: the data sources are provisioned, the
/// Prometheus one is healthy (a Prometheus container under the name the provisioning expects), the three dashboards
/// are loaded, and a panel's query sent through <c>/api/ds/query</c> returns frames.
/// </summary>
public sealed class GrafanaContainerTests
{
    private const string GrafanaImage = "grafana/grafana:12.1.1";
    private const string PrometheusImage = "prom/prometheus:v2.42.0";

    [Fact]
    public async Task Provisioned_grafana_loads_the_dashboards_and_a_panel_query_returns_frames()
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        await using var network = new NetworkBuilder().Build();
        // The image's own configuration scrapes Prometheus itself, so process_* series exist without the pipeline.
        await using var prometheus = new ContainerBuilder(PrometheusImage)
            .WithNetwork(network)
            .WithNetworkAliases("prometheus")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(9090).ForPath("/-/ready")))
            .Build();
        await using var grafana = new ContainerBuilder(GrafanaImage)
            .WithNetwork(network)
            .WithEnvironment("GF_AUTH_ANONYMOUS_ENABLED", "true")
            .WithEnvironment("GF_AUTH_ANONYMOUS_ORG_ROLE", "Admin")
            .WithBindMount(RepositoryRoot.Combine("deploy", "grafana", "provisioning"), "/etc/grafana/provisioning", AccessMode.ReadOnly)
            .WithBindMount(RepositoryRoot.Combine("deploy", "grafana", "dashboards"), "/var/lib/grafana/dashboards", AccessMode.ReadOnly)
            .WithPortBinding(3000, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(3000).ForPath("/api/health")))
            .Build();
        await prometheus.StartAsync(TestContext.Current.CancellationToken);
        await grafana.StartAsync(TestContext.Current.CancellationToken);
        using var api = new HttpClient { BaseAddress = new Uri($"http://{grafana.Hostname}:{grafana.GetMappedPublicPort(3000)}/") };

        using var datasources = JsonDocument.Parse(await api.GetStringAsync("api/datasources", TestContext.Current.CancellationToken));
        var uids = datasources.RootElement.EnumerateArray().Select(d => d.GetProperty("uid").GetString()).ToHashSet();
        Assert.Subset(uids, new HashSet<string?> { "prometheus", "jaeger", "elasticsearch" });

        var health = await Backends.Poll.UntilAsync(async () =>
            {
                using var response = await api.GetAsync("api/datasources/uid/prometheus/health", TestContext.Current.CancellationToken);
                return response.IsSuccessStatusCode;
            },
            ok => ok, TimeSpan.FromSeconds(60), "the Prometheus data source's health check");
        Assert.True(health);

        using var search = JsonDocument.Parse(await api.GetStringAsync("api/search?type=dash-db", TestContext.Current.CancellationToken));
        var loaded = search.RootElement.EnumerateArray().Select(d => d.GetProperty("uid").GetString()).ToHashSet();
        var shipped = GrafanaDashboard.LoadAll().Select(d => d.Uid).ToHashSet();
        Assert.Subset(loaded, shipped);

        // The runtime dashboard's CPU panel, its variables as Grafana fills them ($instance: All).
        var runtime = GrafanaDashboard.LoadAll().Single(d => d.FileName == "pipeline-dotnet-runtime.json");
        var expression = runtime.Panels.SelectMany(GrafanaDashboard.Targets).Select(t => (string)t["expr"]!).First(e => e.Contains("process_cpu_seconds_total", StringComparison.Ordinal))
            .Replace("$instance", ".*", StringComparison.Ordinal).Replace("$__rate_interval", "1m", StringComparison.Ordinal);
        var request = new JsonObject
        {
            ["from"] = "now-5m",
            ["to"] = "now",
            ["queries"] = new JsonArray(new JsonObject
            {
                ["refId"] = "A",
                ["datasource"] = new JsonObject { ["type"] = "prometheus", ["uid"] = "prometheus" },
                ["expr"] = expression,
                ["instant"] = true,
            }),
        };
        var frames = await Backends.Poll.UntilAsync(async () =>
            {
                using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
                using var response = await api.PostAsync("api/ds/query", content, TestContext.Current.CancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return 0;
                }
                using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                return result.RootElement.GetProperty("results").GetProperty("A").TryGetProperty("frames", out var f) ? f.GetArrayLength() : 0;
            },
            count => count > 0, TimeSpan.FromSeconds(90), $"frames for {expression}");
        Assert.True(frames > 0);
    }
}
