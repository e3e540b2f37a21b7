using System.Text.Json.Nodes;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>deploy/grafana: dashboards that load in Grafana 11/12 and only point at provisioned data sources.</summary>
public sealed class GrafanaDashboardTests
{
    /// <summary>Links and bookmarks use these; they must never change.</summary>
    private static readonly string[] StableUids = ["pipeline-dotnet-runtime", "pipeline-overview", "pipeline-stage-detail"];

    /// <summary>Grafana 11.0's schema version; older schemas get migrated on load and differ from what is committed.</summary>
    private const int MinimumSchemaVersion = 39;

    private static Dictionary<string, string> ProvisionedDatasources()
    {
        var provisioning = YamlTree.LoadFile(RepositoryRoot.Combine("deploy", "grafana", "provisioning", "datasources", "datasources.yml"));
        return provisioning["datasources"]!.AsArray().ToDictionary(d => (string)d!["uid"]!, d => (string)d!["type"]!, StringComparer.Ordinal);
    }

    [Fact]
    public void Every_dashboard_parses_with_its_stable_uid_as_its_file_name()
    {
        var dashboards = GrafanaDashboard.LoadAll();

        Assert.Equal(StableUids, dashboards.Select(d => d.Uid).Order(StringComparer.Ordinal));
        Assert.All(dashboards, d => Assert.Equal($"{d.Uid}.json", d.FileName));
    }

    [Fact]
    public void Every_dashboard_uses_the_current_schema_without_a_database_id()
    {
        Assert.All(GrafanaDashboard.LoadAll(), d =>
        {
            Assert.True((int?)d.Json["schemaVersion"] >= MinimumSchemaVersion, $"{d.FileName}: schemaVersion {d.Json["schemaVersion"]}, expected >= {MinimumSchemaVersion}");
            Assert.Null(d.Json["id"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)d.Json["title"]), $"{d.FileName}: no title");
        });
    }

    [Fact]
    public void Panel_ids_are_unique_within_a_dashboard()
    {
        Assert.All(GrafanaDashboard.LoadAll(), d =>
        {
            var ids = d.Panels.Select(p => (int)p["id"]!).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
        });
    }

    [Fact]
    public void Provisioning_gives_the_three_data_sources_with_exemplars_to_Jaeger_and_traces_to_Elasticsearch_logs()
    {
        var provisioning = YamlTree.LoadFile(RepositoryRoot.Combine("deploy", "grafana", "provisioning", "datasources", "datasources.yml"));
        var byUid = provisioning["datasources"]!.AsArray().ToDictionary(d => (string)d!["uid"]!, d => d!.AsObject());

        Assert.Equal("prometheus", (string?)byUid["prometheus"]["type"]);
        var exemplar = Assert.Single(byUid["prometheus"]["jsonData"]!["exemplarTraceIdDestinations"]!.AsArray())!;
        Assert.Equal("trace_id", (string?)exemplar["name"]);
        Assert.Equal("jaeger", (string?)exemplar["datasourceUid"]);

        Assert.Equal("jaeger", (string?)byUid["jaeger"]["type"]);
        var tracesToLogs = byUid["jaeger"]["jsonData"]!["tracesToLogsV2"]!;
        Assert.Equal("elasticsearch", (string?)tracesToLogs["datasourceUid"]);
        // $$ is a literal $ in provisioning files: Grafana sees trace.id:"${__trace.traceId}".
        Assert.Equal("trace.id:\"$${__trace.traceId}\"", (string?)tracesToLogs["query"]);

        Assert.Equal("elasticsearch", (string?)byUid["elasticsearch"]["type"]);
        Assert.Equal("logs-pipeline-default", (string?)byUid["elasticsearch"]["jsonData"]!["index"]);
        Assert.Equal("@timestamp", (string?)byUid["elasticsearch"]["jsonData"]!["timeField"]);
    }

    [Fact]
    public void Every_panel_and_target_references_a_provisioned_data_source_by_uid_or_through_a_variable()
    {
        var provisioned = ProvisionedDatasources();
        var problems = new List<string>();
        foreach (var dashboard in GrafanaDashboard.LoadAll())
        {
            // A datasource variable resolves to the provisioned data sources of its plugin type.
            var datasourceVariables = dashboard.Variables
                .Where(v => (string?)v["type"] == "datasource")
                .ToDictionary(v => (string)v["name"]!, v => (string)v["query"]!, StringComparer.Ordinal);
            foreach (var (name, pluginType) in datasourceVariables)
            {
                if (!provisioned.ContainsValue(pluginType))
                {
                    problems.Add($"{dashboard.FileName}: variable {name} lists '{pluginType}' data sources, and none is provisioned");
                }
            }
            foreach (var variable in dashboard.Variables.Where(v => v["datasource"] is not null))
            {
                Check(variable["datasource"], $"{dashboard.FileName}: variable {variable["name"]}");
            }
            foreach (var panel in dashboard.Panels.Where(p => (string?)p["type"] != "row"))
            {
                var where = dashboard.Describe(panel);
                Check(panel["datasource"], where);
                foreach (var target in GrafanaDashboard.Targets(panel))
                {
                    Check(target["datasource"] ?? panel["datasource"], $"{where} target {target["refId"]}");
                }
            }

            void Check(JsonNode? reference, string where)
            {
                if (reference is not JsonObject { } datasource || (string?)datasource["uid"] is not { } uid || (string?)datasource["type"] is not { } type)
                {
                    problems.Add($"{where}: datasource expected {{type, uid}}, found {reference?.ToJsonString() ?? "nothing"}");
                    return;
                }
                var variable = uid.StartsWith("${", StringComparison.Ordinal) ? uid[2..^1] : uid.StartsWith('$') ? uid[1..] : null;
                if (variable is not null)
                {
                    if (!datasourceVariables.TryGetValue(variable, out var pluginType) || pluginType != type)
                    {
                        problems.Add($"{where}: uid {uid} is no datasource variable of type {type}");
                    }
                }
                else if (!provisioned.TryGetValue(uid, out var provisionedType) || provisionedType != type)
                {
                    problems.Add($"{where}: uid '{uid}' ({type}) is not a provisioned data source; provisioned: {string.Join(", ", provisioned.Select(p => $"{p.Key} ({p.Value})"))}");
                }
            }
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void No_dashboard_refers_to_a_data_source_by_name_or_numeric_id()
    {
        var problems = new List<string>();
        foreach (var dashboard in GrafanaDashboard.LoadAll())
        {
            Visit(dashboard.Json, dashboard.FileName);
        }

        Assert.Empty(problems);

        void Visit(JsonNode? node, string where)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (key is "datasource" && value is not (JsonObject or null))
                        {
                            problems.Add($"{where}: datasource given as {value.ToJsonString()}, expected {{type, uid}}");
                        }
                        if (key is "datasourceId")
                        {
                            problems.Add($"{where}: datasourceId is a database id, which differs on every Grafana");
                        }
                        Visit(value, where);
                    }
                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        Visit(item, where);
                    }
                    break;
            }
        }
    }

    [Fact]
    public void Every_dashboard_has_the_datasource_pipeline_and_instance_variables()
    {
        Assert.All(GrafanaDashboard.LoadAll(), d =>
        {
            var names = d.Variables.Select(v => (string?)v["name"]).ToList();
            Assert.Contains("datasource", names);
            Assert.Contains("pipeline", names);
            Assert.Contains("instance", names);
        });
    }

    [Fact]
    public void The_overview_draws_the_DAG_as_a_node_graph_with_stats_arcs_and_edge_rates()
    {
        var overview = GrafanaDashboard.Load(Path.Combine(GrafanaDashboard.Directory, "pipeline-overview.json"));
        var graph = Assert.Single(overview.Panels, p => (string?)p["type"] == "nodeGraph");
        var targets = GrafanaDashboard.Targets(graph).ToList();
        Assert.All(targets, t =>
        {
            Assert.Equal("table", (string?)t["format"]);
            Assert.True((bool?)t["instant"], $"target {t["refId"]} must be an instant query: the node graph shows one value per node");
        });

        var renames = graph["transformations"]!.AsArray()
            .Single(t => (string?)t!["id"] == "organize")!["options"]!["renameByName"]!.AsObject()
            .ToDictionary(p => p.Key, p => (string)p.Value!);
        string RenamedFrom(string refId) => renames[$"Value #{refId}"];
        string ExprOf(string refId) => (string)targets.Single(t => (string?)t["refId"] == refId)["expr"]!;

        // Nodes: the components, keyed by id, throughput main, P95 secondary, an arc of error fraction and the rest.
        Assert.Equal("id", renames["component_id"]);
        var merge = graph["transformations"]!.AsArray().Single(t => (string?)t!["id"] == "merge")!;
        var nodeRefIds = ((string)merge["filter"]!["options"]!).Split('|');
        Assert.Contains(nodeRefIds, r => RenamedFrom(r) == "mainstat" && ExprOf(r).Contains("pipeline_component_sent_events_total", StringComparison.Ordinal));
        Assert.Contains(nodeRefIds, r => RenamedFrom(r) == "secondarystat" && ExprOf(r).Contains("histogram_quantile(0.95", StringComparison.Ordinal));
        Assert.Contains(nodeRefIds, r => RenamedFrom(r) == "arc__errors" && ExprOf(r).Contains("pipeline_component_errors_total", StringComparison.Ordinal));
        Assert.Equal(2, nodeRefIds.Count(r => RenamedFrom(r).StartsWith("arc__", StringComparison.Ordinal)));

        // Edges: left out of the node merge, with id, source and target from pipeline_edge_events_total.
        var edgeRefId = Assert.Single(targets.Select(t => (string)t["refId"]!).Except(nodeRefIds));
        var edges = ExprOf(edgeRefId);
        Assert.Contains("pipeline_edge_events_total", edges, StringComparison.Ordinal);
        // The output label is kept (two route outputs into one sink are two edges), idle edges come from the info gauge.
        Assert.Contains("sum by (source, output, target)", edges, StringComparison.Ordinal);
        Assert.Contains("pipeline_topology_edge", edges, StringComparison.Ordinal);
        Assert.Contains("label_join(", edges, StringComparison.Ordinal);
        Assert.Equal("mainstat", RenamedFrom(edgeRefId));
    }

    [Fact]
    public void The_overview_shows_throughput_end_to_end_latency_errors_dead_letters_and_backpressure()
    {
        var overview = GrafanaDashboard.Load(Path.Combine(GrafanaDashboard.Directory, "pipeline-overview.json"));
        var expressions = overview.Panels.SelectMany(GrafanaDashboard.Targets).Select(t => (string?)t["expr"] ?? "").ToList();

        foreach (var metric in new[]
        {
            "pipeline_component_received_events_total", "pipeline_component_sent_events_total", "pipeline_event_latency_seconds_bucket",
            "pipeline_component_errors_total", "pipeline_dead_letter_events_total", "pipeline_mailbox_capacity",
        })
        {
            Assert.Contains(expressions, e => e.Contains(metric, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_stage_detail_has_a_stage_variable_latency_with_exemplars_isolates_errors_logs_and_traces()
    {
        var detail = GrafanaDashboard.Load(Path.Combine(GrafanaDashboard.Directory, "pipeline-stage-detail.json"));
        Assert.Contains(detail.Variables, v => (string?)v["name"] == "stage");
        var targets = detail.Panels.SelectMany(GrafanaDashboard.Targets).ToList();
        string[] Exprs(string metric) => [.. targets.Select(t => (string?)t["expr"] ?? "").Where(e => e.Contains(metric, StringComparison.Ordinal))];

        var latency = targets.Where(t => ((string?)t["expr"] ?? "").Contains("pipeline_stage_duration_seconds_bucket", StringComparison.Ordinal)).ToList();
        foreach (var quantile in new[] { "0.50", "0.95", "0.99" })
        {
            var target = Assert.Single(latency, t => ((string)t["expr"]!).Contains($"histogram_quantile({quantile},", StringComparison.Ordinal));
            Assert.True((bool?)target["exemplar"], $"the P{quantile} query must ask for exemplars");
            Assert.Contains("component_id=\"$stage\"", (string)target["expr"]!, StringComparison.Ordinal);
        }
        Assert.NotEmpty(Exprs("pipeline_mailbox_wait_seconds_bucket"));
        Assert.NotEmpty(Exprs("pipeline_isolate_utilization"));
        Assert.NotEmpty(Exprs("pipeline_mailbox_events"));
        Assert.NotEmpty(Exprs("pipeline_isolate_restarts_total"));
        Assert.Contains(Exprs("pipeline_component_errors_total"), e => e.Contains("by (error_type)", StringComparison.Ordinal));

        var logs = Assert.Single(detail.Panels, p => (string?)p["type"] == "logs");
        Assert.Equal("elasticsearch", (string?)logs["datasource"]!["type"]);
        Assert.Contains("$stage", (string)GrafanaDashboard.Targets(logs).Single()["query"]!, StringComparison.Ordinal);

        Assert.Contains(detail.Panels, p => (string?)p["datasource"]?["type"] == "jaeger");
        Assert.Contains(detail.Panels.SelectMany(p => p["links"]?.AsArray() ?? []), l => ((string?)l!["url"] ?? "").Contains("jaeger", StringComparison.Ordinal));
    }

    [Fact]
    public void The_runtime_dashboard_shows_GC_thread_pool_and_memory()
    {
        var runtime = GrafanaDashboard.Load(Path.Combine(GrafanaDashboard.Directory, "pipeline-dotnet-runtime.json"));
        var expressions = runtime.Panels.SelectMany(GrafanaDashboard.Targets).Select(t => (string?)t["expr"] ?? "").ToList();

        Assert.Contains(expressions, e => e.Contains("dotnet_collection_count_total", StringComparison.Ordinal));
        // The names RuntimeMetrics exports (the integration suite checks every panel returns data).
        Assert.Contains(expressions, e => e.Contains("dotnet_gc_pause_seconds_total", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("dotnet_threadpool_threads", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("dotnet_threadpool_queue_length", StringComparison.Ordinal));
        Assert.DoesNotContain(expressions, e => e.Contains("system_runtime_", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("process_working_set_bytes", StringComparison.Ordinal));
    }
}
