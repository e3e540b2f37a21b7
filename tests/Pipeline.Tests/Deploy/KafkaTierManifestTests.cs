using k8s.Models;
using Pipeline.Config;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// The two tiers of docs/kafka.md as shipped: deploy/k8s/aggregator (a consumer group of pipelines) and the
/// deploy/overlays/kafka-agent overlay (the node DaemonSet delivering to Kafka).
/// </summary>
public sealed class KafkaTierManifestTests
{
    private static string Aggregator => RepositoryRoot.Combine("deploy", "k8s", "aggregator");

    private static string AgentOverlay => RepositoryRoot.Combine("deploy", "overlays", "kafka-agent");

    [Fact]
    public async Task The_aggregator_renders_strictly_and_its_autoscaler_budget_and_services_select_its_pods()
    {
        var manifests = await KubernetesManifests.RenderAsync(Aggregator);
        var deployment = manifests.Single<V1Deployment>();
        var podLabels = deployment.Spec.Template.Metadata.Labels;

        var autoscaler = manifests.Single<V2HorizontalPodAutoscaler>();
        Assert.Equal(("Deployment", deployment.Metadata.Name), (autoscaler.Spec.ScaleTargetRef.Kind, autoscaler.Spec.ScaleTargetRef.Name));
        var lag = Assert.Single(autoscaler.Spec.Metrics);
        Assert.Equal("External", lag.Type);
        Assert.Equal("pipeline_aggregator_consumer_lag", lag.External.Metric.Name);
        Assert.InRange(autoscaler.Spec.MinReplicas ?? 1, 2, autoscaler.Spec.MaxReplicas);
        var budget = manifests.Single<V1PodDisruptionBudget>();
        Assert.All(budget.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, podLabels[label.Key]));
        var service = manifests.Single<V1Service>();
        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, podLabels[label.Key]));
        var monitor = manifests.CustomResource("PodMonitor");
        Assert.Equal("aggregator", (string?)monitor["spec"]!["selector"]!["matchLabels"]!["app.kubernetes.io/component"]);
        // The node agents' PodMonitor selects node-agent pods only, so nothing is scraped twice.
        Assert.NotEqual("node-agent", podLabels["app.kubernetes.io/component"]);
    }

    [Fact]
    public async Task The_aggregators_ConfigMap_is_a_kafka_topology_mounted_where_the_container_reads_it_with_probes_on_its_admin_port()
    {
        var manifests = await KubernetesManifests.RenderAsync(Aggregator);
        var deployment = manifests.Single<V1Deployment>();
        var configMap = manifests.Single<V1ConfigMap>();
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        var volume = deployment.Spec.Template.Spec.Volumes.Single(v => v.ConfigMap is not null);
        Assert.Equal(configMap.Metadata.Name, volume.ConfigMap.Name);
        var mount = container.VolumeMounts.Single(m => m.Name == volume.Name);
        Assert.Equal($"{mount.MountPath}/aggregator.yaml", container.Args[container.Args.IndexOf("--config") + 1]);

        var config = ConfigLoader.LoadYaml(configMap.Data["aggregator.yaml"], "ConfigMap pipeline-aggregator-config", BuiltInComponents.Create(), new Dictionary<string, string>());

        var source = Assert.Single(config.Sources);
        Assert.Equal("kafka", source.Type);
        // The stage behind it keeps each partition in order across its isolates.
        Assert.All(config.Stages.Where(s => s.Inputs.Any(i => i.ComponentId == source.Id)),
            stage => Assert.Equal(Pipeline.Isolates.RouterKind.KeyAffinity, stage.Stage.Router));
        var admin = Assert.Single(container.Ports, p => p.Name == "admin");
        Assert.EndsWith($":{admin.ContainerPort}", config.Admin.Address, StringComparison.Ordinal);
        Assert.Equal("admin", container.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.True(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds >= (long)(config.ShutdownTimeout.TotalSeconds + container.Lifecycle.PreStop.Sleep.Seconds),
            "the grace period must cover preStop and the drain, or revoked partitions are cut off mid-commit");
    }

    [Fact]
    public async Task The_agent_overlay_replaces_only_the_topology_with_one_that_delivers_to_kafka()
    {
        using var secrets = new StandInSecrets();
        var overlay = await KubernetesManifests.RenderAsync(AgentOverlay);
        var daemonSet = overlay.Single<V1DaemonSet>();
        var configMap = overlay.Single<V1ConfigMap>();

        Assert.Equal(configMap.Metadata.Name, daemonSet.Spec.Template.Spec.Volumes.Single(v => v.ConfigMap is not null).ConfigMap.Name);
        Assert.Contains(daemonSet.Spec.Template.Spec.Containers[0].Env, e => e.Name == "KAFKA_BOOTSTRAP_SERVERS");
        var config = ConfigLoader.LoadYaml(configMap.Data["pipeline.yaml"], "ConfigMap pipeline-config (kafka-agent)", BuiltInComponents.Create(), secrets.KubernetesConfigEnvironment());
        var kafka = Assert.Single(config.Sinks, s => s.Type == "kafka");
        Assert.Equal("disk", kafka.Stage.Buffer?.Type.ToString().ToLowerInvariant());
        Assert.DoesNotContain(config.Sinks, s => s.Type == "http");
        // The rest of the base is untouched: the same kinds of objects as deploy/k8s renders.
        var baseKinds = (await KubernetesManifests.RenderAsync()).Objects.Select(o => o.Kind).Order();
        Assert.Equal(baseKinds, overlay.Objects.Select(o => o.Kind).Order());
    }
}
