using System.Net;
using System.Net.Sockets;
using Pipeline.Events;
using Pipeline.Processors.Kubernetes;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;
using Serilog;
using Serilog.Events;
using static Pipeline.Tests.Processors.KubernetesFakeApi;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

/// <summary>The kubernetes enricher's pod cache against a fake API server: list, watch, resume, re-list, failures.</summary>
public sealed class KubernetesPodCacheTests
{
    private const string Id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static KubernetesConfig Config(Uri api, int maxPods = 1000, TimeSpan? delayDeletion = null) => new()
    {
        PodMetadata = true,
        NodeName = "node-1",
        MaxPods = maxPods,
        DelayDeletion = delayDeletion ?? TimeSpan.Zero,
        ApiUrl = api.ToString().TrimEnd('/'),
        InitialBackoff = TimeSpan.FromMilliseconds(5),
    };

    private static string ContainersPath(string pod, string ns) => $"/var/log/containers/{pod}_{ns}_app-{Id}.log";

    [Fact]
    public async Task Lists_this_nodes_pods_then_watches_and_resumes_a_broken_watch_from_the_last_resourceVersion()
    {
        await using var api = await StartAsync();
        api.Lists.Enqueue(PodList("100", Pod("a", "shop", "90", labels: new() { ["app"] = "a" })));
        api.Watches.Enqueue(api.WatchEvents(keepOpen: false,
            WatchEvent("ADDED", Pod("b", "shop", "101")),
            WatchEvent("MODIFIED", Pod("a", "shop", "102", labels: new() { ["app"] = "a2" }))));
        api.Watches.Enqueue(api.WatchEvents(keepOpen: true, WatchEvent("ADDED", Pod("c", "web", "103"))));

        var (factory, _) = KubernetesEnricherTests.Start(Config(api.BaseAddress));
        await using var stage = factory;

        var list = await api.NextRequestAsync();
        Assert.Equal(new ApiRequest(false, "spec.nodeName=node-1", ""), list);
        var firstWatch = await api.NextRequestAsync();
        Assert.Equal(new ApiRequest(true, "spec.nodeName=node-1", "100"), firstWatch);
        // The server closed the first stream: the second watch carries the last resourceVersion seen on it.
        var secondWatch = await api.NextRequestAsync();
        Assert.Equal(new ApiRequest(true, "spec.nodeName=node-1", "102"), secondWatch);

        var pods = factory.Pods!;
        await TestWaits.UntilAsync(() => pods.TryGet("web", "c", out _));
        Assert.Equal(3, pods.Count);
        Assert.True(pods.TryGet("shop", "a", out var a));
        Assert.Equal("""{"app":"a2"}""", System.Text.Encoding.UTF8.GetString(a!.LabelsJson));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_expired_resourceVersion_makes_it_list_again_and_forget_pods_that_are_gone(bool asWatchEvent)
    {
        await using var api = await StartAsync();
        api.Lists.Enqueue(PodList("100", Pod("a", "shop", "90")));
        // The API server says 410 Gone either as the watch request's status or as an ERROR event in the stream.
        api.Watches.Enqueue(asWatchEvent ? api.WatchEvents(keepOpen: true, ExpiredEvent()) : Status(410, "Expired"));
        api.Lists.Enqueue(PodList("200", Pod("b", "shop", "150")));

        var (factory, instruments) = KubernetesEnricherTests.Start(Config(api.BaseAddress));
        await using var stage = factory;

        Assert.False((await api.NextRequestAsync()).Watch);
        Assert.Equal("100", (await api.NextRequestAsync()).ResourceVersion);
        var relist = await api.NextRequestAsync();
        Assert.False(relist.Watch);
        Assert.Equal(new ApiRequest(true, "spec.nodeName=node-1", "200"), await api.NextRequestAsync());

        var pods = factory.Pods!;
        Assert.True(pods.TryGet("shop", "b", out _));
        Assert.False(pods.TryGet("shop", "a", out _));
        Assert.Equal(1, instruments.ApiErrors(KubernetesInstruments.Expired).Value);
    }

    [Fact]
    public async Task Enriches_events_of_a_known_pod_with_its_labels_annotations_uid_and_node()
    {
        await using var api = await StartAsync();
        api.Lists.Enqueue(PodList("100",
            Pod("web-1", "shop", "90", labels: new() { ["app.kubernetes.io/name"] = "web" }, annotations: new() { ["team"] = "checkout" })));

        var (factory, _) = KubernetesEnricherTests.Start(Config(api.BaseAddress));
        await using var stage = factory;
        await TestWaits.UntilAsync(() => factory.Pods!.Count == 1);

        var processor = factory.CreateForIsolate(0);
        var known = Assert.Single(Run(processor, Pipeline.Events.Event.Parse($$"""{"file":"{{ContainersPath("web-1", "shop")}}"}""")).Default);
        Assert.Equal(
            $$$"""{"pod_name":"web-1","pod_namespace":"shop","container_name":"app","container_id":"{{{Id}}}","pod_uid":"uid-web-1","pod_node_name":"node-1","pod_labels":{"app.kubernetes.io/name":"web"},"pod_annotations":{"team":"checkout"}}""",
            known.Get(Path(".kubernetes")).ToJson());

        // A pod the cache does not know (yet) gets what its path says, no more.
        var unknown = Assert.Single(Run(processor, Pipeline.Events.Event.Parse($$"""{"file":"{{ContainersPath("web-2", "shop")}}"}""")).Default);
        Assert.Equal(
            $$"""{"pod_name":"web-2","pod_namespace":"shop","container_name":"app","container_id":"{{Id}}"}""",
            unknown.Get(Path(".kubernetes")).ToJson());
    }

    [Fact]
    public async Task A_deleted_pod_is_still_served_until_delay_deletion_is_over()
    {
        await using var api = await StartAsync();
        api.Lists.Enqueue(PodList("100", Pod("leaving", "shop", "90")));
        api.Watches.Enqueue(api.WatchEvents(keepOpen: true,
            WatchEvent("DELETED", Pod("leaving", "shop", "101")),
            WatchEvent("ADDED", Pod("next", "shop", "102"))));
        var kept = KubernetesEnricherTests.Start(Config(api.BaseAddress, delayDeletion: TimeSpan.FromHours(1))).Factory;
        await using var stage = kept;

        await TestWaits.UntilAsync(() => kept.Pods!.TryGet("shop", "next", out _));
        Assert.True(kept.Pods!.TryGet("shop", "leaving", out _));

        // With no delay, the same deletion forgets the pod at once.
        api.Lists.Enqueue(PodList("100", Pod("leaving", "shop", "90")));
        api.Watches.Enqueue(api.WatchEvents(keepOpen: true,
            WatchEvent("DELETED", Pod("leaving", "shop", "101")),
            WatchEvent("ADDED", Pod("next", "shop", "102"))));
        var forgotten = KubernetesEnricherTests.Start(Config(api.BaseAddress, delayDeletion: TimeSpan.Zero)).Factory;
        await using var other = forgotten;

        await TestWaits.UntilAsync(() => forgotten.Pods!.TryGet("shop", "next", out _));
        Assert.False(forgotten.Pods!.TryGet("shop", "leaving", out _));
    }

    [Fact]
    public async Task A_full_cache_evicts_the_pod_added_longest_ago_and_counts_it()
    {
        await using var api = await StartAsync();
        api.Lists.Enqueue(PodList("100", Pod("a", "ns", "1"), Pod("b", "ns", "2"), Pod("c", "ns", "3")));

        var (factory, instruments) = KubernetesEnricherTests.Start(Config(api.BaseAddress, maxPods: 2));
        await using var stage = factory;
        Assert.True((await api.NextRequestAsync()) is { Watch: false });
        Assert.True((await api.NextRequestAsync()) is { Watch: true });

        var pods = factory.Pods!;
        Assert.Equal(2, pods.Count);
        Assert.False(pods.TryGet("ns", "a", out _));
        Assert.True(pods.TryGet("ns", "c", out _));
        Assert.Equal(1, instruments.EvictedPods.Value);
    }

    [Fact]
    public async Task A_forbidden_API_leaves_path_derived_fields_warns_once_and_keeps_counting()
    {
        await using var api = await StartAsync();
        for (var i = 0; i < 3; i++)
        {
            api.Lists.Enqueue(Status(403, "Forbidden"));
        }
        var log = new CapturedLog();

        var (factory, instruments) = KubernetesEnricherTests.Start(Config(api.BaseAddress), Logger(log));
        await using var stage = factory;
        for (var i = 0; i < 3; i++)
        {
            Assert.False((await api.NextRequestAsync()).Watch);
        }
        await TestWaits.UntilAsync(() => instruments.ApiErrors(KubernetesInstruments.Forbidden).Value >= 3);

        AssertPathFieldsOnly(factory);
        var warning = Assert.Single(log.Events, e => e.Level == LogEventLevel.Warning);
        Assert.Contains("forbidden", warning.RenderMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_API_leaves_path_derived_fields_warns_once_and_keeps_counting()
    {
        // A port that was just free: nothing listens there.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var log = new CapturedLog();

        var (factory, instruments) = KubernetesEnricherTests.Start(Config(new Uri($"http://127.0.0.1:{port}")), Logger(log));
        await using var stage = factory;
        await TestWaits.UntilAsync(() => instruments.ApiErrors(KubernetesInstruments.Unreachable).Value >= 3);

        AssertPathFieldsOnly(factory);
        var warning = Assert.Single(log.Events, e => e.Level == LogEventLevel.Warning);
        Assert.Contains("unreachable", warning.RenderMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_any_API_config_it_says_why_once_and_stops_trying()
    {
        var log = new CapturedLog();
        var config = new KubernetesConfig { PodMetadata = true, NodeName = "node-1" };
        var factory = Assert.IsType<KubernetesEnricherFactory>(Build(config));
        var metrics = PipelineMetrics.CreateIsolated().ForComponent("test", "under_test", "processor");
        var instruments = metrics.CreateKubernetesInstruments();
        // No KUBERNETES_SERVICE_HOST and a KUBECONFIG naming no file: neither in-cluster nor kubeconfig.
        await using var pods = new PodCache(new PodCacheSettings("node-1", 10, null), Logger(log), instruments,
            name => name == "KUBECONFIG" ? "/nonexistent/kubeconfig" : null);
        pods.Start();

        await log.WaitFor(e => e.Level == LogEventLevel.Warning).Guarded();
        Assert.Contains("no kubeconfig", Assert.Single(log.Events).RenderMessage(), StringComparison.Ordinal);
        Assert.Equal(1, instruments.ApiErrors(KubernetesInstruments.NoConfig).Value);
        await factory.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_the_stage_ends_the_watch()
    {
        await using var api = await StartAsync();
        api.Lists.Enqueue(PodList("100"));
        var (factory, _) = KubernetesEnricherTests.Start(Config(api.BaseAddress));
        Assert.False((await api.NextRequestAsync()).Watch);
        Assert.True((await api.NextRequestAsync()).Watch);

        await factory.DisposeAsync().Guarded();

        await api.WatchAbandoned.Task.Guarded();
    }

    private static Serilog.ILogger Logger(CapturedLog log) => new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(log).CreateLogger();

    private static void AssertPathFieldsOnly(KubernetesEnricherFactory factory)
    {
        var evt = Assert.Single(Run(factory.CreateForIsolate(0), Pipeline.Events.Event.Parse($$"""{"file":"{{ContainersPath("web-1", "shop")}}"}""")).Default);
        Assert.Equal(
            $$"""{"pod_name":"web-1","pod_namespace":"shop","container_name":"app","container_id":"{{Id}}"}""",
            evt.Get(Path(".kubernetes")).ToJson());
    }
}
