using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Kubernetes;
using Pipeline.Telemetry;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class KubernetesEnricherTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string ContainersPath = "/var/log/containers/web-1_shop_nginx-" + Id + ".log";

    /// <summary>Builds and starts a stage's factory as the runtime would, with its own metrics.</summary>
    internal static (KubernetesEnricherFactory Factory, KubernetesInstruments Instruments) Start(KubernetesConfig config, Serilog.ILogger? logger = null)
    {
        var factory = Assert.IsType<KubernetesEnricherFactory>(Build(config));
        var metrics = PipelineMetrics.CreateIsolated().ForComponent("test", "under_test", "processor");
        factory.Start(new StageRuntime(logger ?? Serilog.Core.Logger.None, metrics));
        // The instruments are bound by label, so a second binding reads the same series.
        return (factory, metrics.CreateKubernetesInstruments());
    }

    [Fact]
    public async Task A_containers_path_adds_pod_namespace_container_and_container_id()
    {
        var (factory, _) = Start(new KubernetesConfig());
        await using var stage = factory;

        Assert.Equal(
            $$$"""{"file":"{{{ContainersPath}}}","message":"hi","kubernetes":{"pod_name":"web-1","pod_namespace":"shop","container_name":"nginx","container_id":"{{{Id}}}"}}""",
            RunToJson(factory, $$"""{"file":"{{ContainersPath}}","message":"hi"}"""));
    }

    [Fact]
    public async Task A_pods_path_adds_namespace_pod_container_and_pod_uid()
    {
        var (factory, _) = Start(new KubernetesConfig { Field = Path(".log_path") });
        await using var stage = factory;

        Assert.Equal(
            """{"log_path":"/var/log/pods/shop_web-1_0a1b2c3d-0000-1111-2222-333344445555/nginx/0.log","kubernetes":{"pod_name":"web-1","pod_namespace":"shop","container_name":"nginx","pod_uid":"0a1b2c3d-0000-1111-2222-333344445555"}}""",
            RunToJson(factory, """{"log_path":"/var/log/pods/shop_web-1_0a1b2c3d-0000-1111-2222-333344445555/nginx/0.log"}"""));
    }

    [Theory]
    [InlineData("""{"file":"/var/log/syslog","message":"boot"}""")]
    [InlineData("""{"file":42}""")]
    [InlineData("""{"message":"no path"}""")]
    public async Task An_event_without_a_container_log_path_is_sent_on_unchanged_and_counted(string json)
    {
        var (factory, instruments) = Start(new KubernetesConfig());
        await using var stage = factory;

        Assert.Equal(json, RunToJson(factory, json));
        Assert.Equal(1, instruments.UnmatchedPaths.Value);
    }

    [Fact]
    public async Task Consecutive_lines_of_one_file_and_lines_of_many_files_are_all_enriched_by_one_instance()
    {
        var (factory, instruments) = Start(new KubernetesConfig());
        await using var stage = factory;
        var processor = factory.CreateForIsolate(0);

        // More files than the path cache holds, each seen twice in a row, then all of them again: hits, misses and
        // evictions must all give the same answer.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < KubernetesEnricherFactory.PathCacheSize + 10; i++)
            {
                for (var line = 0; line < 2; line++)
                {
                    var evt = Event.Parse($$"""{"file":"/var/log/containers/pod-{{i}}_ns-{{i % 3}}_c-{{Id}}.log"}""");
                    var emitted = Assert.Single(Run(processor, evt).Default);
                    Assert.True(emitted.Get(Path(".kubernetes.pod_name")).StringEquals($"pod-{i}"));
                    Assert.True(emitted.Get(Path(".kubernetes.pod_namespace")).StringEquals($"ns-{i % 3}"));
                }
            }
        }
        Assert.Equal(0, instruments.UnmatchedPaths.Value);
    }

    [Fact]
    public void Pod_metadata_needs_a_node_name()
    {
        var error = Assert.Throws<ComponentBuildException>(() => Build(new KubernetesConfig { PodMetadata = true, Environment = _ => null }));
        Assert.Equal("node_name", error.Option);

        var factory = Assert.IsType<KubernetesEnricherFactory>(Build(new KubernetesConfig { PodMetadata = true, Environment = n => n == "K8S_NODE_NAME" ? "node-7" : null }));
        Assert.NotNull(factory);
    }

    [Theory]
    [InlineData("https://example.com")]
    [InlineData("not a url")]
    public void Api_url_must_be_a_plain_http_url(string url)
        => Assert.Equal("api_url", Assert.Throws<ComponentBuildException>(() => Build(new KubernetesConfig { ApiUrl = url })).Option);

    [Fact]
    public void Max_pods_must_be_positive()
        => Assert.Equal("max_pods", Assert.Throws<ComponentBuildException>(() => Build(new KubernetesConfig { MaxPods = 0 })).Option);
}
