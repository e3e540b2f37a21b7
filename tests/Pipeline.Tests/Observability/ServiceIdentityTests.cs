using Pipeline.Config;
using Pipeline.Telemetry;
using Prometheus;

namespace Pipeline.Tests.Observability;

/// <summary>One process, one identity: spans, shipped logs and target_info carry the same name, version and instance id.</summary>
public sealed class ServiceIdentityTests
{
    private static string? NoVariables(string name) => null;

    [Fact]
    public async Task Spans_logs_and_target_info_share_name_version_and_instance_id()
    {
        var spans = TracingConfiguration.Resolve(new TracingOptions(), NoVariables, []);
        var logs = new LogsSettings().ResolveShipping(NoVariables, []).Service;
        var registry = Metrics.NewCustomRegistry();
        _ = new PipelineMetrics(registry);
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        var exposition = System.Text.Encoding.UTF8.GetString(stream.ToArray());

        Assert.NotNull(spans);
        Assert.Equal(spans.Resource["service.name"], logs.Name);
        Assert.Equal(spans.Resource["service.version"], logs.Version);
        Assert.Equal(spans.Resource["service.instance.id"], logs.InstanceId);
        Assert.Matches(@"^\d+\.\d+\.\d+\+\w+", logs.Version);
        Assert.Contains($"target_info{{service_name=\"{logs.Name}\",service_version=\"{logs.Version}\",service_instance_id=\"{logs.InstanceId}\"}} 1", exposition, StringComparison.Ordinal);
    }
}
