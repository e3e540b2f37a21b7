using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Sources.Http;

namespace Pipeline.Tests.Deploy;

/// <summary>deploy/k8s rendered by kustomize: every object valid, and the DaemonSet as issue 4 describes it.</summary>
public sealed class KubernetesManifestTests
{
    private const string AdminPort = "admin";

    [Fact]
    public async Task The_base_renders_and_every_object_validates_strictly()
    {
        var manifests = await KubernetesManifests.RenderAsync();

        var kinds = manifests.Objects.Select(o => o.Kind).Concat(manifests.CustomResources.Select(r => (string)r["kind"]!)).Order(StringComparer.Ordinal);
        Assert.Equal(["Certificate", "Certificate", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Issuer", "Issuer", "Namespace", "PodMonitor", "PriorityClass", "PrometheusRule", "Service", "Service", "ServiceAccount"], kinds);
    }

    [Fact]
    public void Strict_validation_rejects_a_misspelled_field()
    {
        const string misspelled = """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: x
            spec:
              selector:
                matchLabels: {app: x}
              template:
                metadata:
                  labels: {app: x}
                spec:
                  containers:
                    - name: x
                      image: x
                      securityContxt:
                        runAsNonRoot: true
            """;

        Assert.ThrowsAny<Exception>(() => KubernetesManifests.Parse(misspelled));
        // The same object spelled right parses: it is the one field that was rejected.
        var corrected = KubernetesManifests.Parse(misspelled.Replace("securityContxt", "securityContext", StringComparison.Ordinal));
        Assert.True(corrected.Single<V1DaemonSet>().Spec.Template.Spec.Containers[0].SecurityContext.RunAsNonRoot);
    }

    [Fact]
    public async Task Everything_namespaced_lives_in_the_pipeline_namespace()
    {
        var manifests = await KubernetesManifests.RenderAsync();

        Assert.Equal("pipeline", manifests.Single<V1Namespace>().Metadata.Name);
        Assert.All(manifests.Objects.Where(o => o is not (V1Namespace or V1PriorityClass or V1ClusterRole or V1ClusterRoleBinding)), o =>
            Assert.Equal("pipeline", ((IMetadata<V1ObjectMeta>)o).Metadata.NamespaceProperty));
        Assert.All(manifests.CustomResources, r => Assert.Equal("pipeline", (string?)r["metadata"]!["namespace"]));
    }

    [Fact]
    public async Task Least_privilege_means_reading_pods_and_nothing_else()
    {
        var manifests = await KubernetesManifests.RenderAsync();

        // The kubernetes processor's pod_metadata lists and watches pods; nothing else is granted, and no namespaced
        // Role hides another grant.
        Assert.DoesNotContain(manifests.Objects, o => o is V1Role or V1RoleBinding);
        var role = manifests.Single<V1ClusterRole>();
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order(StringComparer.Ordinal));
        Assert.Null(rule.ResourceNames);
        Assert.Null(rule.NonResourceURLs);
        Assert.Null(role.AggregationRule);

        var binding = manifests.Single<V1ClusterRoleBinding>();
        Assert.Equal(("ClusterRole", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var account = manifests.Single<V1ServiceAccount>();
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, "pipeline"), (subject.Kind, subject.Name, subject.NamespaceProperty));

        // The token is mounted for the DaemonSet's pods only, not for whatever else might use the account.
        Assert.False(account.AutomountServiceAccountToken);
        var pod = manifests.Single<V1DaemonSet>().Spec.Template.Spec;
        Assert.Equal(account.Metadata.Name, pod.ServiceAccountName);
        Assert.True(pod.AutomountServiceAccountToken);
    }

    [Fact]
    public async Task The_DaemonSet_gets_node_pod_and_namespace_from_the_Downward_API_and_OTEL_settings()
    {
        var container = PipelineContainer(await KubernetesManifests.RenderAsync());
        var env = container.Env.ToDictionary(e => e.Name);

        Assert.Equal("spec.nodeName", env["K8S_NODE_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.name", env["K8S_POD_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env["K8S_NAMESPACE_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("pipeline", env["OTEL_SERVICE_NAME"].Value);
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT", env.Keys);
        Assert.Contains("k8s.node.name=$(K8S_NODE_NAME)", env["OTEL_RESOURCE_ATTRIBUTES"].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_DaemonSet_requests_and_limits_cpu_and_memory()
    {
        var resources = PipelineContainer(await KubernetesManifests.RenderAsync()).Resources;

        foreach (var name in new[] { "cpu", "memory" })
        {
            Assert.True(resources.Requests.ContainsKey(name), $"no {name} request");
            Assert.True(resources.Limits.ContainsKey(name), $"no {name} limit");
            Assert.True(resources.Requests[name].ToDecimal() <= resources.Limits[name].ToDecimal(), $"{name} request above its limit");
        }
    }

    [Fact]
    public async Task Liveness_asks_healthz_and_readiness_asks_readyz_on_the_admin_port_of_the_config()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var container = PipelineContainer(manifests);
        var admin = Assert.Single(container.Ports, p => p.Name == AdminPort);

        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal(AdminPort, container.LivenessProbe.HttpGet.Port.Value);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal(AdminPort, container.ReadinessProbe.HttpGet.Port.Value);
        // The named port is the one the shipped config's admin server listens on.
        Assert.EndsWith($":{admin.ContainerPort}", ShippedConfig(manifests).AdminAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_container_runs_as_non_root_on_a_read_only_root_with_every_capability_dropped()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var security = PipelineContainer(manifests).SecurityContext;

        Assert.True(security.RunAsNonRoot);
        Assert.NotEqual(0, security.RunAsUser ?? manifests.Single<V1DaemonSet>().Spec.Template.Spec.SecurityContext.RunAsUser);
        Assert.True(security.ReadOnlyRootFilesystem);
        Assert.False(security.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.True(security.Capabilities.Add is null || security.Capabilities.Add.Count == 0);
    }

    [Fact]
    public async Task Only_the_data_directory_init_step_runs_as_root_and_only_with_CHOWN()
    {
        var pod = (await KubernetesManifests.RenderAsync()).Single<V1DaemonSet>().Spec.Template.Spec;

        Assert.All(pod.InitContainers ?? [], init =>
        {
            Assert.Equal(["ALL"], init.SecurityContext.Capabilities.Drop);
            Assert.Equal(["CHOWN"], init.SecurityContext.Capabilities.Add);
            Assert.True(init.SecurityContext.ReadOnlyRootFilesystem);
            Assert.False(init.SecurityContext.AllowPrivilegeEscalation);
            Assert.All(init.VolumeMounts, m => Assert.Equal("/var/lib/pipeline", m.MountPath));
        });
    }

    [Fact]
    public async Task Host_var_log_is_mounted_read_only_and_var_lib_pipeline_writable()
    {
        var pod = (await KubernetesManifests.RenderAsync()).Single<V1DaemonSet>().Spec.Template.Spec;
        var container = pod.Containers.Single(c => c.Name == "pipeline");
        V1VolumeMount MountOf(string hostPath) =>
            container.VolumeMounts.Single(m => m.Name == pod.Volumes.Single(v => v.HostPath?.Path == hostPath).Name);

        var varLog = MountOf("/var/log");
        Assert.Equal("/var/log", varLog.MountPath);
        Assert.True(varLog.ReadOnlyProperty);
        var data = MountOf("/var/lib/pipeline");
        Assert.Equal("/var/lib/pipeline", data.MountPath);
        Assert.NotEqual(true, data.ReadOnlyProperty);
        Assert.Equal("/var/lib/pipeline", container.Env.Single(e => e.Name == "PIPELINE_DATA_DIR").Value);
    }

    [Fact]
    public async Task It_tolerates_every_taint_so_it_runs_on_every_node()
    {
        var pod = (await KubernetesManifests.RenderAsync()).Single<V1DaemonSet>().Spec.Template.Spec;

        Assert.Contains(pod.Tolerations, t => t.OperatorProperty == "Exists" && t.Key is null && t.Effect is null);
    }

    [Fact]
    public async Task Termination_grace_covers_the_preStop_pause_and_the_configs_shutdown_timeout()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var pod = manifests.Single<V1DaemonSet>().Spec.Template.Spec;
        var preStop = PipelineContainer(manifests).Lifecycle.PreStop;

        Assert.NotNull(preStop);
        var pause = TimeSpan.FromSeconds(preStop.Sleep?.Seconds ?? 0);
        var drain = ShippedConfig(manifests).ShutdownTimeout;
        Assert.True(TimeSpan.FromSeconds(pod.TerminationGracePeriodSeconds ?? 30) > pause + drain,
            $"terminationGracePeriodSeconds {pod.TerminationGracePeriodSeconds} must exceed preStop {pause} + shutdown_timeout {drain}");
    }

    [Fact]
    public async Task It_has_a_priority_class_below_the_system_ones_and_rolls_out_with_a_bounded_maxUnavailable()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var daemonSet = manifests.Single<V1DaemonSet>();
        var priority = manifests.Single<V1PriorityClass>();

        Assert.Equal(priority.Metadata.Name, daemonSet.Spec.Template.Spec.PriorityClassName);
        Assert.InRange(priority.Value ?? 0, 1, 1_000_000_000);
        Assert.False(priority.GlobalDefault);
        Assert.Equal("RollingUpdate", daemonSet.Spec.UpdateStrategy.Type);
        Assert.NotNull(daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable);
    }

    [Fact]
    public async Task The_shipped_ConfigMap_is_a_valid_topology_mounted_where_the_container_reads_it()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var daemonSet = manifests.Single<V1DaemonSet>();
        var configMap = manifests.Single<V1ConfigMap>();
        var container = PipelineContainer(manifests);
        var volume = daemonSet.Spec.Template.Spec.Volumes.Single(v => v.ConfigMap is not null);

        // kustomize appends a content hash to the name and rewrites the reference; they must still meet.
        Assert.Equal(configMap.Metadata.Name, volume.ConfigMap.Name);
        var mount = container.VolumeMounts.Single(m => m.Name == volume.Name);
        var configArgument = container.Args[container.Args.IndexOf("--config") + 1];
        Assert.Equal($"{mount.MountPath}/pipeline.yaml", configArgument);
        var config = ShippedConfig(manifests);
        Assert.NotEmpty(config.Sources);
        Assert.NotEmpty(config.Sinks);
        var ingest = Assert.Single(container.Ports, p => p.Name == "ingest");
        Assert.Contains(config.Sources, s => s.Type == "http");
        Assert.Equal(8080, ingest.ContainerPort);
    }

    [Fact]
    public async Task The_headless_metrics_Service_and_the_PodMonitor_select_the_pods_admin_port()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var podLabels = manifests.Single<V1DaemonSet>().Spec.Template.Metadata.Labels;
        var metrics = Assert.Single(manifests.Objects.OfType<V1Service>(), s => s.Spec.ClusterIP == "None");

        Assert.All(metrics.Spec.Selector, l => Assert.Equal(l.Value, podLabels[l.Key]));
        Assert.Equal(AdminPort, Assert.Single(metrics.Spec.Ports).TargetPort.Value);

        var podMonitor = manifests.CustomResource("PodMonitor");
        Assert.Equal("monitoring.coreos.com/v1", (string?)podMonitor["apiVersion"]);
        foreach (var (key, value) in podMonitor["spec"]!["selector"]!["matchLabels"]!.AsObject())
        {
            Assert.Equal((string?)value, podLabels[key]);
        }
        var endpoint = Assert.Single(podMonitor["spec"]!["podMetricsEndpoints"]!.AsArray())!;
        Assert.Equal(AdminPort, (string?)endpoint["port"]);
        Assert.Equal("/metrics", (string?)endpoint["path"]);
    }

    [Fact]
    public async Task The_PrometheusRule_carries_exactly_the_groups_of_the_rule_files()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var rule = manifests.CustomResource("PrometheusRule");

        // kubectl re-emits keys in its own order; the content must be the same, group by group.
        var fromFiles = PrometheusRuleFiles.RuleFiles.SelectMany(f => YamlTree.LoadFile(f)["groups"]!.AsArray()).OrderBy(g => (string)g!["name"]!, StringComparer.Ordinal).ToList();
        var inRule = rule["spec"]!["groups"]!.AsArray().OrderBy(g => (string)g!["name"]!, StringComparer.Ordinal).ToList();
        Assert.Equal(fromFiles.Count, inRule.Count);
        Assert.All(fromFiles.Zip(inRule), pair => Assert.True(JsonNode.DeepEquals(pair.First, pair.Second), $"group {pair.First!["name"]} differs:\n{pair.First.ToJsonString()}\n{pair.Second!.ToJsonString()}"));
    }

    [Fact]
    public async Task The_committed_PrometheusRule_is_the_generator_output()
    {
        var bash = ExternalTool.Require("bash", "bash");

        var result = await bash.RunAsync([Path.Combine(KubernetesManifests.Directory, "generate-prometheusrule.sh")]);

        Assert.True(result.Succeeded, result.Transcript);
        var committed = await File.ReadAllTextAsync(Path.Combine(KubernetesManifests.Directory, "prometheusrule.yaml"), TestContext.Current.CancellationToken);
        Assert.True(committed == result.StandardOutput,
            "deploy/k8s/prometheusrule.yaml is stale: run deploy/k8s/generate-prometheusrule.sh > deploy/k8s/prometheusrule.yaml");
    }

    [Fact]
    public void The_ConfigMap_source_file_is_a_valid_topology_on_its_own()
    {
        using var secrets = new StandInSecrets();

        var config = ConfigLoader.LoadFile(Path.Combine(KubernetesManifests.Directory, "pipeline.yaml"), BuiltInComponents.Create(), secrets.KubernetesConfigEnvironment());

        Assert.Equal("node-logs", config.Name);
    }

    [Fact]
    public async Task The_node_chain_ends_in_Elasticsearch_and_Loki_each_behind_its_own_disk_buffer_at_the_DaemonSets_urls()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var config = ShippedConfig(manifests);
        var environment = PipelineContainer(manifests).Env.ToDictionary(e => e.Name, e => e.Value);

        var search = Assert.Single(config.Sinks, s => s.Type == "elasticsearch");
        var loki = Assert.Single(config.Sinks, s => s.Type == "loki");
        // Everything the file sink of errors does not keep alone reaches both stores: nothing routed ends nowhere else.
        Assert.Equal(["by_level._unmatched", "by_level.errors"], search.Inputs.Select(i => i.Text).Order(StringComparer.Ordinal));
        Assert.Equal(search.Inputs.Select(i => i.Text).Order(StringComparer.Ordinal), loki.Inputs.Select(i => i.Text).Order(StringComparer.Ordinal));
        // Separate disk buffers: an outage of one store neither stalls the other nor loses what waits for it.
        Assert.All([search, loki], sink => Assert.Equal(Pipeline.Isolates.Buffers.BufferType.Disk, sink.Stage.Buffer?.Type));
        var searchOptions = (Pipeline.Sinks.Elasticsearch.ElasticsearchSinkConfig)search.Options;
        Assert.Equal(environment["ELASTICSEARCH_URL"], Assert.Single(searchOptions.Endpoints));
        Assert.Equal(environment["LOKI_URL"], ((Pipeline.Sinks.Loki.LokiSinkConfig)loki.Options).Endpoint);
    }

    [Fact]
    public async Task Applications_on_the_node_export_OTLP_over_TLS_with_a_token_on_ports_the_ingest_Service_serves()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var config = ShippedConfig(manifests);
        var container = PipelineContainer(manifests);

        var apps = (Pipeline.Sources.Otlp.OtlpSourceConfig)Assert.Single(config.Sources, s => s.Type == "otlp").Options;
        var service = Assert.Single(manifests.Objects.OfType<V1Service>(), s => s.Spec.Ports.Any(p => p.TargetPort.Value == "ingest"));
        foreach (var (listener, portName) in new[] { (apps.Grpc, "otlp-grpc"), (apps.Http, "otlp-http") })
        {
            Assert.NotNull(listener);
            Assert.StartsWith("https://", listener.Address, StringComparison.Ordinal);
            Assert.NotNull(listener.Tls);
            Assert.NotNull(listener.Auth?.TokensFile);
            var containerPort = Assert.Single(container.Ports, p => p.Name == portName);
            Assert.EndsWith(":" + containerPort.ContainerPort.ToString(CultureInfo.InvariantCulture), listener.Address, StringComparison.Ordinal);
            Assert.Contains(service.Spec.Ports, p => p.TargetPort.Value == portName);
        }
        Assert.Equal("Local", service.Spec.InternalTrafficPolicy);
    }

    [Fact]
    public async Task The_ingest_port_serves_TLS_and_needs_a_token_and_the_admin_port_needs_one_to_change_anything()
    {
        var config = ShippedConfig(await KubernetesManifests.RenderAsync());

        var ingest = (HttpSourceConfig)Assert.Single(config.Sources, s => s.Type == "http").Options;
        Assert.NotNull(ingest.Tls);
        Assert.StartsWith("https://", ingest.Address, StringComparison.Ordinal);
        Assert.NotNull(ingest.Auth?.TokensFile);
        Assert.NotNull(config.Admin.Auth?.TokensFile);
        // Tokens come from mounted files only: a tokens_env variable would have to be set from a literal or a Secret
        // in the pod spec, a second place to keep in step.
        Assert.Empty(ingest.Auth.TokensEnv);
        Assert.Empty(config.Admin.Auth.TokensEnv);
    }

    [Fact]
    public async Task Every_file_the_config_reads_for_tls_and_auth_is_a_key_of_a_Secret_mounted_read_only_there()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var pod = manifests.Single<V1DaemonSet>().Spec.Template.Spec;
        var container = PipelineContainer(manifests);
        var certificateSecrets = Certificates(manifests).Select(c => (string)c["spec"]!["secretName"]!).ToHashSet(StringComparer.Ordinal);

        var files = SecretFilesAtTheirDefaults(manifests);

        Assert.Superset(new HashSet<string>(["admin.auth.tokens_file", "sources.ingest.tls.cert_file", "sources.ingest.tls.key_file", "sources.ingest.auth.tokens_file", "sinks.search.auth.api_key_file"]), files.Keys.ToHashSet());
        Assert.All(files, file =>
        {
            var mount = Assert.Single(container.VolumeMounts, m => Path.GetDirectoryName(file.Value) == m.MountPath);
            Assert.True(mount.ReadOnlyProperty, $"{file.Key}: {mount.MountPath} is writable");
            var secret = pod.Volumes.Single(v => v.Name == mount.Name).Secret;
            Assert.True(secret is not null, $"{file.Key}: volume {mount.Name} at {mount.MountPath} is not a Secret");
            // 0440 with the pod's fsGroup: the non-root user reads the files through its group, nobody else does.
            Assert.Equal(Convert.ToInt32("440", 8), secret.DefaultMode);
            Assert.Equal(pod.SecurityContext.RunAsGroup, pod.SecurityContext.FsGroup);
            // The file must be one the Secret holds: a key it projects, or one of what cert-manager writes.
            var name = Path.GetFileName(file.Value);
            if (secret.Items is { Count: > 0 } items)
            {
                Assert.Contains(items, i => i.Path == name);
            }
            else
            {
                Assert.Contains(secret.SecretName, certificateSecrets);
                Assert.Contains(name, new[] { "tls.crt", "tls.key", "ca.crt" });
            }
        });
    }

    [Fact]
    public async Task The_ingest_certificate_is_the_mounted_TLS_Secret_and_names_every_DNS_name_of_the_ingest_Service()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var container = PipelineContainer(manifests);
        var volumes = manifests.Single<V1DaemonSet>().Spec.Template.Spec.Volumes;
        var certFile = SecretFilesAtTheirDefaults(manifests)["sources.ingest.tls.cert_file"];
        var mounted = volumes.Single(v => v.Name == container.VolumeMounts.Single(m => m.MountPath == Path.GetDirectoryName(certFile)).Name).Secret.SecretName;
        var service = Assert.Single(manifests.Objects.OfType<V1Service>(), s => s.Spec.Ports.Any(p => p.TargetPort.Value == "ingest"));
        var (name, ns) = (service.Metadata.Name, service.Metadata.NamespaceProperty);

        var certificate = Assert.Single(Certificates(manifests), c => (string?)c["spec"]!["secretName"] == mounted);

        var spec = certificate["spec"]!;
        var dnsNames = spec["dnsNames"]!.AsArray().Select(n => (string)n!);
        Assert.Superset(new HashSet<string>([name, $"{name}.{ns}", $"{name}.{ns}.svc", $"{name}.{ns}.svc.cluster.local"]), dnsNames.ToHashSet());
        Assert.Equal(("ECDSA", "256", "Always"), ((string?)spec["privateKey"]!["algorithm"], (string?)spec["privateKey"]!["size"], (string?)spec["privateKey"]!["rotationPolicy"]));
        // Renewal starts while the certificate is still valid, with time left to notice a renewal that fails.
        Assert.InRange(Hours(spec["renewBefore"]), 24, Hours(spec["duration"]) / 2);
    }

    [Fact]
    public async Task The_ingest_certificate_chains_to_a_private_CA_that_cert_manager_bootstraps_in_the_namespace()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        JsonNode Issuer(JsonNode issuerRef) => Assert.Single(manifests.CustomResources, r =>
            (string?)r["kind"] == "Issuer" && (string?)issuerRef["kind"] == "Issuer" && (string?)r["metadata"]!["name"] == (string?)issuerRef["name"]);

        var ingest = Assert.Single(Certificates(manifests), c => c["spec"]!["isCA"] is null);
        var caIssuer = Issuer(ingest["spec"]!["issuerRef"]!);
        var caSecret = (string?)caIssuer["spec"]!["ca"]!["secretName"];
        var ca = Assert.Single(Certificates(manifests), c => (string?)c["spec"]!["secretName"] == caSecret);

        Assert.Equal("true", (string?)ca["spec"]!["isCA"]);
        Assert.NotNull(Issuer(ca["spec"]!["issuerRef"]!)["spec"]!["selfSigned"]);
    }

    [Fact]
    public async Task No_rendered_object_is_a_Secret_with_literal_data()
    {
        var manifests = await KubernetesManifests.RenderAsync();

        // Token and key Secrets are made in the cluster (by the operator, by cert-manager), never shipped in git.
        Assert.DoesNotContain(manifests.Objects, o => o is V1Secret secret && (secret.Data is { Count: > 0 } || secret.StringData is { Count: > 0 }));
        Assert.DoesNotContain(manifests.CustomResources, r => (string?)r["kind"] == "Secret");
    }

    [Fact]
    public async Task Probes_and_the_scrape_reach_the_read_only_admin_endpoints_without_credentials()
    {
        var manifests = await KubernetesManifests.RenderAsync();
        var container = PipelineContainer(manifests);
        var config = ShippedConfig(manifests);

        // The kubelet and the PodMonitor send no token and speak plain HTTP to the pod's IP.
        Assert.False(config.Admin.ProtectReadOnly);
        Assert.Null(config.Admin.Tls);
        Assert.All(new[] { container.StartupProbe, container.LivenessProbe, container.ReadinessProbe }, probe =>
        {
            Assert.Equal(AdminPort, probe.HttpGet.Port.Value);
            Assert.True(probe.HttpGet.HttpHeaders is null or { Count: 0 });
            Assert.True(probe.HttpGet.Scheme is null or "HTTP");
        });
        var endpoint = Assert.Single(manifests.CustomResource("PodMonitor")["spec"]!["podMetricsEndpoints"]!.AsArray())!;
        Assert.True((string?)endpoint["scheme"] is null or "http");
        Assert.Null(endpoint["authorization"]);
    }

    private static V1Container PipelineContainer(KubernetesManifests manifests) =>
        manifests.Single<V1DaemonSet>().Spec.Template.Spec.Containers.Single(c => c.Name == "pipeline");

    /// <summary>
    /// The rendered ConfigMap's pipeline.yaml, validated as `pipeline validate` does, with its Secrets' files
    /// (which exist only in a cluster) stood in for by generated ones.
    /// </summary>
    private static PipelineConfig ShippedConfig(KubernetesManifests manifests)
    {
        var yaml = manifests.Single<V1ConfigMap>().Data["pipeline.yaml"];
        using var secrets = new StandInSecrets();
        return ConfigLoader.LoadYaml(yaml, "ConfigMap pipeline-config: pipeline.yaml", BuiltInComponents.Create(), secrets.KubernetesConfigEnvironment());
    }

    /// <summary>
    /// Every <c>*_file</c> of a <c>tls</c> or <c>auth</c> block of the ConfigMap's pipeline.yaml, by option path, as
    /// the pod resolves it: no path variable set, so each <c>${VAR:-default}</c> is its default. Read from the YAML,
    /// not loaded, because loading reads the files and they exist only in the pod.
    /// </summary>
    private static Dictionary<string, string> SecretFilesAtTheirDefaults(KubernetesManifests manifests)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(YamlTree.Load(manifests.Single<V1ConfigMap>().Data["pipeline.yaml"]), "");
        return files;

        void Collect(JsonNode? node, string option)
        {
            foreach (var (key, value) in node as JsonObject ?? [])
            {
                var path = option.Length == 0 ? key : $"{option}.{key}";
                if (key is "tls" or "auth" && value is JsonObject block)
                {
                    foreach (var (setting, file) in block.Where(s => s.Key.EndsWith("_file", StringComparison.Ordinal)))
                    {
                        Assert.True(EnvironmentInterpolator.TryInterpolate((string)file!, new Dictionary<string, string>(), out var resolved, out var error), error);
                        files[$"{path}.{setting}"] = resolved;
                    }
                }
                else
                {
                    Collect(value, path);
                }
            }
        }
    }

    private static IEnumerable<JsonNode> Certificates(KubernetesManifests manifests) =>
        manifests.CustomResources.Where(r => (string?)r["kind"] == "Certificate");

    /// <summary>A cert-manager duration in whole hours, the one unit these manifests write (Go's time.ParseDuration has no days).</summary>
    private static int Hours(JsonNode? duration)
    {
        var text = (string)duration!;
        Assert.EndsWith("h", text, StringComparison.Ordinal);
        return int.Parse(text[..^1], CultureInfo.InvariantCulture);
    }
}
