using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Pipeline.Events;
using Pipeline.Host;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

/// <summary>/metrics and /topology over real HTTP on 127.0.0.1, after a known number of events went through.</summary>
public sealed class MetricsEndpointTests
{
    private const int Sampled = 100;
    private const int Unsampled = 100;
    private const int Events = Sampled + Unsampled;
    private const int Kept = Events - (Events / 5);
    private static readonly FieldPath N = FieldPath.Parse(".n");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_expose_histograms_with_exemplars_counters_equal_to_the_events_and_pass_promtool()
    {
        await using var run = await RunAsync();
        var text = await run.Http.GetStringAsync("/metrics", Ct);
        var metrics = Exposition.Parse(text);
        var pipeline = (TelemetryNames.PipelineLabel, run.Pipeline.Name);
        (string, string) Component(string id) => (TelemetryNames.ComponentIdLabel, id);

        // Counters equal the events sent, per component and per edge.
        Assert.Equal(Events, metrics.Value("pipeline_component_sent_events_total", pipeline, Component("in")));
        Assert.Equal(Events, metrics.Value("pipeline_component_received_events_total", pipeline, Component("keep")));
        Assert.Equal(Kept, metrics.Value("pipeline_component_sent_events_total", pipeline, Component("keep")));
        Assert.Equal(Events - Kept, metrics.Value("pipeline_component_discarded_events_total", pipeline, Component("keep"), ("reason", "dropped_by_processor")));
        Assert.Equal(Kept, metrics.Value("pipeline_component_sent_events_total", pipeline, Component("out")));
        Assert.Equal(Kept, metrics.Value("pipeline_component_sent_events_total", pipeline, Component("audit")));
        Assert.Equal(Events, metrics.Value(TelemetryNames.EdgeEventsMetric, pipeline, ("source", "in"), ("target", "keep"), ("output", "")));
        Assert.Equal(Kept, metrics.Value(TelemetryNames.EdgeEventsMetric, pipeline, ("source", "keep"), ("target", "enrich")));
        Assert.Equal(Kept, metrics.Value(TelemetryNames.EdgeEventsMetric, pipeline, ("source", "keep"), ("target", "audit")));
        Assert.Equal(Kept, metrics.Value(TelemetryNames.EdgeEventsMetric, pipeline, ("source", "enrich"), ("target", "out")));
        Assert.Equal(4, metrics.Find(TelemetryNames.TopologyEdgeMetric, pipeline).Count(s => s.Value == 1));

        // Histograms: cumulative buckets up to +Inf, which equals the count.
        foreach (var (metric, component, count) in new[]
        {
            (TelemetryNames.MailboxWaitMetric, "keep", Events), (TelemetryNames.MailboxWaitMetric, "enrich", Kept),
            (TelemetryNames.MailboxWaitMetric, "out", Kept), (TelemetryNames.EventLatencyMetric, "out", Kept),
            (TelemetryNames.EventLatencyMetric, "audit", Kept),
        })
        {
            AssertHistogram(metrics, metric, component, pipeline, exactCount: count);
        }
        // Processing time: every sampled event, and one unsampled event in eight counting for eight.
        var processed = AssertHistogram(metrics, TelemetryNames.StageDurationMetric, "keep", pipeline, exactCount: null);
        Assert.InRange(processed, Events - (2 * 8), Events);
        Assert.Equal(LatencyBuckets.Bounds.Count + 1, metrics.Find(TelemetryNames.StageDurationMetric + "_bucket", pipeline, Component("keep")).Count);

        // Isolate gauges.
        Assert.Equal(16, metrics.Value(TelemetryNames.MailboxCapacityMetric, pipeline, Component("keep"), (TelemetryNames.IsolateLabel, "1")));
        Assert.Equal(0, metrics.Value(TelemetryNames.MailboxEventsMetric, pipeline, Component("keep"), (TelemetryNames.IsolateLabel, "0")));
        Assert.Equal(2, metrics.Find(TelemetryNames.IsolatesMetric, pipeline, Component("keep")).Sum(s => s.Value));
        Assert.Equal(2, metrics.Find(TelemetryNames.IsolateUtilizationMetric, pipeline, Component("keep")).Count);
        // Spans went to the (in-memory) exporter and were counted; GC and thread-pool figures are there.
        // (At least this pipeline's spans: the in-memory exporter also gets those of pipelines in tests running beside.)
        Assert.True(metrics.Value(TelemetryNames.TelemetryExportedMetric, (TelemetryNames.SignalLabel, "spans")) >= run.Spans.Count);
        var atLeast = Sampled + Sampled + (Sampled * 4 / 5); // ingest, keep, and enrich for the four in five kept
        Assert.True(run.Spans.Count >= atLeast, $"expected at least {atLeast} spans of {Sampled} sampled events, found {run.Spans.Count}");
        Assert.Equal(0, metrics.Value(TelemetryNames.TelemetryDroppedMetric, (TelemetryNames.SignalLabel, "spans")));
        Assert.Single(metrics.Find("dotnet_gc_pause_seconds_total"));
        Assert.Single(metrics.Find("dotnet_threadpool_threads"));

        await AssertPromtoolAcceptsAsync(text);
    }

    [Fact]
    public async Task OpenMetrics_carries_exemplars_that_point_at_sampled_events_hop_spans()
    {
        await using var run = await RunAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/openmetrics-text; version=1.0.0; charset=utf-8"));
        using var response = await run.Http.SendAsync(request, Ct);
        Assert.StartsWith("application/openmetrics-text", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var metrics = Exposition.Parse(await response.Content.ReadAsStringAsync(Ct));

        var exemplars = metrics.Find(TelemetryNames.StageDurationMetric + "_bucket", (TelemetryNames.ComponentIdLabel, "keep"))
            .Where(s => s.Exemplar is not null).Select(s => s.Exemplar!).ToList();
        Assert.NotEmpty(exemplars);
        var keepSpans = run.Spans.Where(s => s.DisplayName == "process keep").ToDictionary(s => s.SpanId.ToHexString(), s => s.TraceId.ToHexString());
        Assert.All(exemplars, exemplar => Assert.Equal(keepSpans[exemplar["span_id"]], exemplar["trace_id"]));
        // A sink's exemplars are the events' own send spans, in the events' own traces.
        var latency = metrics.Find(TelemetryNames.EventLatencyMetric + "_bucket", (TelemetryNames.ComponentIdLabel, "out"))
            .Where(s => s.Exemplar is not null).Select(s => s.Exemplar!).ToList();
        Assert.NotEmpty(latency);
        var sendSpans = run.Spans.Where(s => s.DisplayName == "send out" && s.Kind == System.Diagnostics.ActivityKind.Producer)
            .ToDictionary(s => s.SpanId.ToHexString(), s => s.TraceId.ToHexString());
        Assert.All(latency, exemplar => Assert.Equal(sendSpans[exemplar["span_id"]], exemplar["trace_id"]));
    }

    [Fact]
    public async Task Topology_endpoint_gives_nodes_and_edges_with_rates_and_a_p95_per_stage()
    {
        await using var run = await RunAsync();
        using var topology = JsonDocument.Parse(await run.Http.GetStringAsync("/topology", Ct));

        var nodes = topology.RootElement.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetString()!);
        Assert.Equal(["audit", "enrich", "in", "keep", "out"], nodes.Keys.Order());
        Assert.Equal("keep", nodes["keep"].GetProperty("title").GetString());
        Assert.True(nodes["keep"].GetProperty("sentPerSecond").GetDouble() > 0);
        Assert.Contains("events/s", nodes["keep"].GetProperty("mainStat").GetString(), StringComparison.Ordinal);
        Assert.Equal(Kept, nodes["keep"].GetProperty("sent").GetInt64());
        Assert.Equal(0, nodes["keep"].GetProperty("errors").GetInt64());
        var p95 = nodes["keep"].GetProperty("p95Seconds").GetDouble();
        Assert.InRange(p95, 1e-7, 10);
        Assert.True(nodes["out"].GetProperty("p95Seconds").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, nodes["in"].GetProperty("p95Seconds").ValueKind);

        var edges = topology.RootElement.GetProperty("edges").EnumerateArray().ToList();
        Assert.Equal(4, edges.Count);
        Assert.All(edges, e =>
        {
            Assert.Equal($"{e.GetProperty("source").GetString()}:{e.GetProperty("target").GetString()}", e.GetProperty("id").GetString());
            Assert.True(e.GetProperty("eventsPerSecond").GetDouble() > 0);
        });
    }

    private static double AssertHistogram(Exposition metrics, string metric, string component, (string, string) pipeline, int? exactCount)
    {
        var id = (TelemetryNames.ComponentIdLabel, component);
        var buckets = metrics.Find(metric + "_bucket", pipeline, id)
            .Select(b => (Le: b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], CultureInfo.InvariantCulture), b.Value))
            .OrderBy(b => b.Le).ToList();
        Assert.Equal(LatencyBuckets.Bounds.Count + 1, buckets.Count);
        for (var i = 1; i < buckets.Count; i++)
        {
            Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{metric} {component}: buckets must be cumulative");
        }
        var count = metrics.Value(metric + "_count", pipeline, id);
        Assert.Equal(count, buckets[^1].Value);
        Assert.True(metrics.Value(metric + "_sum", pipeline, id) > 0);
        if (exactCount is { } expected)
        {
            Assert.Equal(expected, count);
        }
        return count;
    }

    internal static async Task AssertPromtoolAcceptsAsync(string exposition)
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        if (promtool is null)
        {
            Assert.Skip("promtool is not installed (apt-get install prometheus); the exposition was checked by the parser above only");
        }
        using var process = Process.Start(new ProcessStartInfo(promtool, "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(Ct) + await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(ObservedPipeline.HangGuard, Ct);
        Assert.True(process.ExitCode == 0 && output.Trim().Length == 0, $"promtool check metrics: exit {process.ExitCode}\n{output}");
    }

    /// <summary>
    /// in -> keep (drops every fifth) -> enrich -> out, and keep -> audit; 100 sampled events, then 100 that start a
    /// new, unsampled trace; drained, then served by an admin server.
    /// </summary>
    private static async Task<Run> RunAsync()
    {
        var pipeline = new ObservedPipeline(sampler: "parentbased_traceidratio", ratio: 0);
        var source = new ControlledSource();
        var keep = new DelegateProcessorFactory((evt, output, _) =>
        {
            if (!evt.Get(N).TryGetInt64(out var n) || n % 5 != 0)
            {
                output.Emit(evt);
            }
            return ValueTask.CompletedTask;
        });
        pipeline
            .Source("in", source)
            .Stage("keep", keep, ["in"])
            .Stage("enrich", DelegateProcessorFactory.PassThrough, ["keep"])
            .Sink("out", new RecordingSink(), ["enrich"])
            .Sink("audit", new RecordingSink(), ["keep"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);
        for (var n = 0; n < Events; n++)
        {
            var trace = n < Sampled ? Traceparents.Remote(n, sampled: true) : default;
            Assert.True(await context.SendAsync(Event.Parse($$"""{"n":{{n}}}"""), trace, Ct));
        }
        source.Finish();
        await topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var spans = await pipeline.StopAndCollectSpansAsync();
        var admin = await AdminServer.StartAsync("127.0.0.1:0", topology, pipeline.Metrics, pipeline.Logger, Ct);
        return new Run(pipeline, admin, new HttpClient { BaseAddress = new Uri(admin.Addresses.Single()) }, spans);
    }

    private sealed record Run(ObservedPipeline Pipeline, AdminServer Admin, HttpClient Http, IReadOnlyList<Activity> Spans) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Admin.DisposeAsync();
            await Pipeline.DisposeAsync();
        }
    }
}
