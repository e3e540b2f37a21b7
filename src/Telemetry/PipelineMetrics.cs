using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// Pipeline's Prometheus metrics. Names follow Vector's scheme (<c>component_received_events_total</c>, …) under a
/// <c>pipeline_</c> prefix, with the labels <c>pipeline</c>, <c>component_id</c> and <c>component_kind</c> everywhere.
/// docs/observability.md lists every metric with its labels and meaning.
/// </summary>
/// <remarks>
/// Only the latency histograms carry exemplars (the trace and span id of <see cref="System.Diagnostics.Activity.Current"/>,
/// so a sampled event's observation points at its hop span). Counters carry none: they are bumped with a span current
/// too, and an exemplar per increment would cost a sampled event several allocations for nothing anyone looks at.
/// </remarks>
public sealed class PipelineMetrics
{
    private static readonly string[] ComponentLabels =
        [TelemetryNames.PipelineLabel, TelemetryNames.ComponentIdLabel, TelemetryNames.ComponentKindLabel];

    private static readonly string[] EdgeLabels =
        [TelemetryNames.PipelineLabel, TelemetryNames.EdgeSourceLabel, TelemetryNames.EdgeTargetLabel, TelemetryNames.EdgeOutputLabel];

    private readonly Lock _probesLock = new();
    private Action[] _scrapeProbes = [];

    public PipelineMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Registry = registry;
        var factory = Metrics.WithCustomRegistry(registry);
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        ReceivedEvents = factory.CreateCounter("pipeline_component_received_events_total", "Events a component received.", ComponentLabels);
        ReceivedBytes = factory.CreateCounter("pipeline_component_received_bytes_total", "Bytes of events a component received.", ComponentLabels);
        SentEvents = factory.CreateCounter("pipeline_component_sent_events_total", "Events a component sent on (sinks: delivered).", ComponentLabels);
        SentBytes = factory.CreateCounter("pipeline_component_sent_bytes_total", "Bytes of events a component sent on.", ComponentLabels);
        // Error types and discard reasons are published per component only where they can occur (ComponentCounters):
        // a source cannot fail a processing attempt, a sink cannot drop by filtering. Bound but unpublished children
        // still appear on their first increment, so nothing that does happen goes uncounted.
        var onlyWhenPublished = new CounterConfiguration { SuppressInitialValue = true };
        Errors = factory.CreateCounter("pipeline_component_errors_total", "Errors by type.", [.. ComponentLabels, "error_type"], onlyWhenPublished);
        Discarded = factory.CreateCounter("pipeline_component_discarded_events_total", "Events dropped on purpose, by reason.", [.. ComponentLabels, "reason"], onlyWhenPublished);
        DeadLetterEvents = factory.CreateCounter("pipeline_dead_letter_events_total", "Events written to the dead-letter output.", ComponentLabels);
        IsolateRestarts = factory.CreateCounter("pipeline_isolate_restarts_total", "Isolate worker loops restarted by the supervisor.", ComponentLabels);
        BatchSplits = factory.CreateCounter("pipeline_processor_batch_splits_total",
            "Whole-batch calls of a processor (a script) that failed as a whole and were retried in halves, so that only an event failing on its own is retried and dead-lettered.", ComponentLabels);

        var latency = new HistogramConfiguration
        {
            Buckets = [.. LatencyBuckets.Bounds],
            // Only the pipeline's own spans make exemplars: an observation replayed at collection time (see
            // LatencyRecorder) runs under whatever the scrape request has current, which is no event's trace.
            ExemplarBehavior = new ExemplarBehavior
            {
                DefaultExemplarProvider = static (_, _) => System.Diagnostics.Activity.Current?.Source == PipelineTracing.Source
                    ? Exemplar.FromTraceContext()
                    : Exemplar.None,
            },
        };
        StageDuration = factory.CreateHistogram(TelemetryNames.StageDurationMetric,
            "A processor's time per event, per stage (one attempt). Exemplars: the trace of a sampled event.", ComponentLabels, latency);
        MailboxWait = factory.CreateHistogram(TelemetryNames.MailboxWaitMetric,
            "Time an event waited in a stage's or sink's mailbox, from enqueue to the start of its handling.", ComponentLabels, latency);
        EventLatency = factory.CreateHistogram(TelemetryNames.EventLatencyMetric,
            "Time from an event's ingest to its delivery by this sink.", ComponentLabels, latency);

        string[] isolateLabels = [.. ComponentLabels, TelemetryNames.IsolateLabel];
        MailboxEvents = factory.CreateGauge(TelemetryNames.MailboxEventsMetric, "Events waiting in an isolate's mailbox.", isolateLabels);
        MailboxCapacity = factory.CreateGauge(TelemetryNames.MailboxCapacityMetric, "Capacity of an isolate's mailbox, in events.", isolateLabels);
        IsolateUtilization = factory.CreateGauge(TelemetryNames.IsolateUtilizationMetric,
            "Share of time an isolate was busy with a batch (not waiting on its mailbox) since the previous scrape, 0 to 1.", isolateLabels);
        Isolates = factory.CreateGauge(TelemetryNames.IsolatesMetric,
            "Isolates of a stage by state: running, restarting, failed, finished.", [.. ComponentLabels, TelemetryNames.StateLabel]);

        EdgeEvents = factory.CreateCounter(TelemetryNames.EdgeEventsMetric,
            "Events handed along one edge of the topology (output \"\" is the default output).", EdgeLabels);
        TopologyEdge = factory.CreateGauge(TelemetryNames.TopologyEdgeMetric,
            "1 for every edge of the topology: the node graph's edge list.", EdgeLabels);

        TelemetryExported = factory.CreateCounter(TelemetryNames.TelemetryExportedMetric,
            "Spans or log records the exporter delivered.", [TelemetryNames.SignalLabel]);
        TelemetryDropped = factory.CreateCounter(TelemetryNames.TelemetryDroppedMetric,
            "Spans or log records lost: the export queue was full, or the exporter failed.", [TelemetryNames.SignalLabel]);

        MemoryLimiter = new MemoryLimiterGauges(
            factory.CreateGauge("pipeline_memory_limiter_refusing", "1 while the heap is above the memory limiter's soft limit and sources refuse new input."),
            factory.CreateGauge("pipeline_memory_limiter_heap_bytes", "The managed heap as the memory limiter last measured it."),
            factory.CreateGauge("pipeline_memory_limiter_limit_bytes", "The memory limiter's limits: soft (sources refuse above it) and hard (a collection is forced).", ["limit"]));

        string[] bufferLabels = [.. ComponentLabels, TelemetryNames.BufferTypeLabel];
        BufferEvents = factory.CreateGauge(TelemetryNames.BufferEventsMetric,
            "Events in a sink's buffer, not yet confirmed by the sink (memory: in its mailboxes; disk: records not yet deleted).", bufferLabels);
        BufferBytes = factory.CreateGauge(TelemetryNames.BufferBytesMetric, "Bytes a sink's disk buffer holds on disk.", bufferLabels);
        BufferMaxBytes = factory.CreateGauge(TelemetryNames.BufferMaxBytesMetric, "A disk buffer's max_size, in bytes.", bufferLabels);
        BufferMaxEvents = factory.CreateGauge(TelemetryNames.BufferMaxEventsMetric, "A memory buffer's capacity (max_events), in events.", bufferLabels);
        BufferWrittenEvents = factory.CreateCounter(TelemetryNames.BufferWrittenEventsMetric,
            "Events written to a sink's disk buffer (durable once synced).", bufferLabels);
        BufferWrittenBytes = factory.CreateCounter(TelemetryNames.BufferWrittenBytesMetric, "Bytes written to a sink's disk buffer.", bufferLabels);
        BufferReadEvents = factory.CreateCounter(TelemetryNames.BufferReadEventsMetric,
            "Events read back from a sink's disk buffer and handed to the sink.", bufferLabels);
        BufferCorruptRecords = factory.CreateCounter(TelemetryNames.BufferCorruptRecordsMetric,
            "Disk buffer records skipped as unreadable, by what was wrong: checksum, torn_tail (half-written by a crash), framing.",
            [.. bufferLabels, TelemetryNames.CorruptionLabel]);

        LogToMetricSkipped = factory.CreateCounter(TelemetryNames.LogToMetricSkippedMetric,
            "Events a log_to_metric metric did not record, by metric and reason (series_limit, missing_field, not_a_number, negative, label_too_long, unavailable).",
            [.. ComponentLabels, "metric", "reason"], onlyWhenPublished);
        Derived = new DerivedMetrics(registry);
        KubernetesUnmatchedPaths = factory.CreateCounter(TelemetryNames.KubernetesUnmatchedPathsMetric,
            "Events the kubernetes enricher sent on unchanged: their path is no container log path.", ComponentLabels);
        KubernetesCachedPods = factory.CreateGauge(TelemetryNames.KubernetesCachedPodsMetric,
            "Pods of this node the kubernetes enricher holds the metadata of.", ComponentLabels);
        KubernetesEvictedPods = factory.CreateCounter(TelemetryNames.KubernetesEvictedPodsMetric,
            "Pods the kubernetes enricher dropped from its full cache (max_pods) to make room, oldest first.", ComponentLabels);
        KubernetesApiErrors = factory.CreateCounter(TelemetryNames.KubernetesApiErrorsMetric,
            "Failed list and watch requests to the Kubernetes API, by reason.", [.. ComponentLabels, TelemetryNames.ReasonLabel]);

        string[] serverLabels = [TelemetryNames.PipelineLabel, TelemetryNames.ServerLabel];
        AuthFailures = factory.CreateCounter(TelemetryNames.AuthFailuresMetric,
            "Requests and TLS handshakes refused for want of a valid credential, by server (an http source's id, or admin) and reason: missing_credential, invalid_credential, not_configured (a mutating admin endpoint with no admin.auth), not_loopback (/tap from another host with no admin.auth), client_certificate.",
            [.. serverLabels, TelemetryNames.ReasonLabel]);
        CredentialReloads = factory.CreateCounter(TelemetryNames.CredentialReloadsMetric,
            "Times a server or client re-read a credential file after it changed (credential: certificate or tokens), by result: loaded, or failed (the previous one stays in use).",
            [.. serverLabels, TelemetryNames.CredentialLabel, TelemetryNames.ResultLabel]);
        TlsCertificateExpiry = factory.CreateGauge(TelemetryNames.TlsCertificateExpiryMetric,
            "When the certificate a server or client presents expires, in Unix seconds.", serverLabels);

        string[] tapLabels = [TelemetryNames.PipelineLabel, TelemetryNames.TapPointLabel];
        TapDroppedEvents = factory.CreateCounter(TelemetryNames.TapDroppedEventsMetric,
            "Copies of events a tap (pipeline tap) dropped because its client read slower than the component sent; the pipeline never waits for a tap.", tapLabels);
        Taps = factory.CreateGauge(TelemetryNames.TapsMetric, "Taps attached to a component's output now.", tapLabels);

        ConfigReloads = factory.CreateCounter(TelemetryNames.ConfigReloadsMetric,
            "Topology reloads (SIGHUP, --watch-config, POST /reload) by result: applied, rejected (the config has errors or needs a restart; the old topology keeps running), unchanged.",
            [TelemetryNames.PipelineLabel, TelemetryNames.ResultLabel]);
        ConfigLastReloadSuccess = factory.CreateGauge(TelemetryNames.ConfigLastReloadSuccessMetric,
            "When the config was last loaded successfully (start-up, or a reload applied or unchanged), in Unix seconds.", [TelemetryNames.PipelineLabel]);

        // The OpenTelemetry convention for a Prometheus target's resource: one series, value 1, so a query can join
        // an instance's metrics to its spans and logs by the same service.instance.id.
        factory.CreateGauge("target_info", "The service identity this process's spans and logs carry as their resource.",
                ["service_name", "service_version", "service_instance_id"])
            .WithLabels(ServiceIdentity.NameFrom(Environment.GetEnvironmentVariable), ServiceIdentity.Version, ServiceIdentity.InstanceId)
            .Set(1);

        registry.AddBeforeCollectCallback(RunScrapeProbes);
        RuntimeMetrics.Register(registry);
    }

    public CollectorRegistry Registry { get; }

    internal Counter ReceivedEvents { get; }

    internal Counter ReceivedBytes { get; }

    internal Counter SentEvents { get; }

    internal Counter SentBytes { get; }

    internal Counter Errors { get; }

    internal Counter Discarded { get; }

    internal Counter DeadLetterEvents { get; }

    internal Counter IsolateRestarts { get; }

    internal Counter BatchSplits { get; }

    internal Histogram StageDuration { get; }

    internal Histogram MailboxWait { get; }

    internal Histogram EventLatency { get; }

    internal Gauge MailboxEvents { get; }

    internal Gauge MailboxCapacity { get; }

    internal Gauge IsolateUtilization { get; }

    internal Gauge Isolates { get; }

    internal Counter EdgeEvents { get; }

    internal Gauge TopologyEdge { get; }

    internal Counter TelemetryExported { get; }

    internal Counter TelemetryDropped { get; }

    /// <summary>The memory limiter's gauges (one per process).</summary>
    public MemoryLimiterGauges MemoryLimiter { get; }

    internal Gauge BufferEvents { get; }

    internal Gauge BufferBytes { get; }

    internal Gauge BufferMaxBytes { get; }

    internal Gauge BufferMaxEvents { get; }

    internal Counter BufferWrittenEvents { get; }

    internal Counter BufferWrittenBytes { get; }

    internal Counter BufferReadEvents { get; }

    internal Counter BufferCorruptRecords { get; }

    internal Counter LogToMetricSkipped { get; }

    /// <summary>The metrics that log_to_metric stages derive from events, under the names their configs give.</summary>
    public DerivedMetrics Derived { get; }

    internal Counter KubernetesUnmatchedPaths { get; }

    internal Gauge KubernetesCachedPods { get; }

    internal Counter KubernetesEvictedPods { get; }

    internal Counter KubernetesApiErrors { get; }

    internal Counter AuthFailures { get; }

    internal Counter CredentialReloads { get; }

    internal Gauge TlsCertificateExpiry { get; }

    internal Counter TapDroppedEvents { get; }

    internal Gauge Taps { get; }

    /// <summary>The instruments of the taps on one output: <paramref name="tapPoint"/> is <c>id</c> or <c>id.output</c>.</summary>
    public TapInstruments ForTap(string pipeline, string tapPoint) => new(this, pipeline, tapPoint);

    internal Counter ConfigReloads { get; }

    internal Gauge ConfigLastReloadSuccess { get; }

    /// <summary>The topology reload counters of one pipeline.</summary>
    public ReloadInstruments ForReloads(string pipeline) => new(this, pipeline);

    /// <summary>The authentication and TLS instruments of one server or client, by its name: a component id, or <c>admin</c>.</summary>
    public SecurityInstruments ForSecurity(string pipeline, string server) => new(this, pipeline, server);

    /// <summary>A fresh registry per instance, so tests and several pipelines in one process never share counters.</summary>
    public static PipelineMetrics CreateIsolated() => new(Metrics.NewCustomRegistry());

    public ComponentMetrics ForComponent(string pipeline, string componentId, string componentKind)
        => new(this, pipeline, componentId, componentKind);

    /// <summary>
    /// The counter of one DAG edge, bound once when the topology is wired; also sets the edge's
    /// <c>pipeline_topology_edge</c> info gauge to 1.
    /// </summary>
    /// <param name="output">The named output the edge leaves from; null for the default output.</param>
    public MetricCounter ForEdge(string pipeline, string source, string? output, string target)
    {
        string[] labels = [pipeline, source, target, output ?? ""];
        TopologyEdge.WithLabels(labels).Set(1);
        return new(EdgeEvents.WithLabels(labels));
    }

    /// <summary>
    /// A reload removed the edge: its <c>pipeline_topology_edge</c> series goes, so a node graph drawn from the metrics
    /// stops showing it. Its event counter stays, as counters do.
    /// </summary>
    public void ForgetEdge(string pipeline, string source, string? output, string target)
        => TopologyEdge.RemoveLabelled(pipeline, source, target, output ?? "");

    /// <summary>Counters of exported and dropped spans or log records (<paramref name="signal"/>: spans, logs).</summary>
    public (Counter.Child Exported, Counter.Child Dropped) ForTelemetrySignal(string signal)
        => (TelemetryExported.WithLabels(signal), TelemetryDropped.WithLabels(signal));

    /// <summary>
    /// Runs <paramref name="probe"/> before every collection (a scrape of <c>/metrics</c>), to set the gauges that are
    /// read rather than counted: mailbox depths, utilization, isolate states, exporter queue drops.
    /// </summary>
    public void AddScrapeProbe(Action probe)
    {
        lock (_probesLock)
        {
            _scrapeProbes = [.. _scrapeProbes, probe];
        }
    }

    public void RemoveScrapeProbe(Action probe)
    {
        lock (_probesLock)
        {
            _scrapeProbes = [.. _scrapeProbes.Where(p => p != probe)];
        }
    }

    /// <summary>
    /// The cumulative bucket counts (one per <see cref="LatencyBuckets.Bounds"/> entry, then +Inf) of each processor's
    /// <c>pipeline_stage_duration_seconds</c> and each sink's <c>pipeline_event_latency_seconds</c>, keyed by
    /// component id, for <c>/topology</c>'s P95.
    /// </summary>
    /// <remarks>
    /// prometheus-net publishes bucket counts only through its exposition, so this reads the registry's text output.
    /// It runs when <c>/topology</c> is asked for (seconds apart), never on the hot path, which stays free of a second
    /// bucket array per observation.
    /// </remarks>
    public async Task<IReadOnlyDictionary<string, double[]>> ReadLatencyBucketsAsync(string pipeline, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(stream, cancellationToken).ConfigureAwait(false);
        stream.Position = 0;
        using var reader = new StreamReader(stream);
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var bounds = LatencyBuckets.Bounds;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith(TelemetryNames.StageDurationMetric + "_bucket{", StringComparison.Ordinal)
                && !line.StartsWith(TelemetryNames.EventLatencyMetric + "_bucket{", StringComparison.Ordinal))
            {
                continue;
            }
            if (LabelValue(line, TelemetryNames.PipelineLabel) != pipeline
                || LabelValue(line, TelemetryNames.ComponentIdLabel) is not { } componentId
                || LabelValue(line, "le") is not { } le)
            {
                continue;
            }
            var valueStart = line.LastIndexOf(' ');
            if (!double.TryParse(line.AsSpan(valueStart + 1), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var count))
            {
                continue;
            }
            var index = le == "+Inf" ? bounds.Count : IndexOfBound(bounds, le);
            if (index < 0)
            {
                continue;
            }
            if (!result.TryGetValue(componentId, out var counts))
            {
                result.Add(componentId, counts = new double[bounds.Count + 1]);
            }
            counts[index] = count;
        }
        return result;
    }

    private static string? LabelValue(string line, string label)
    {
        var key = label + "=\"";
        var at = line.IndexOf("{" + key, StringComparison.Ordinal);
        at = at >= 0 ? at + 1 : line.IndexOf("," + key, StringComparison.Ordinal) + 1;
        if (at <= 0)
        {
            return null;
        }
        var start = at + key.Length;
        var end = line.IndexOf('"', start);
        return end < 0 ? null : line[start..end];
    }

    private static int IndexOfBound(IReadOnlyList<double> bounds, string le)
    {
        if (!double.TryParse(le, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return -1;
        }
        for (var i = 0; i < bounds.Count; i++)
        {
            // Printed and parsed back, a bound may differ in its last bits.
            if (Math.Abs(bounds[i] - value) <= bounds[i] * 1e-9)
            {
                return i;
            }
        }
        return -1;
    }

    private void RunScrapeProbes()
    {
        foreach (var probe in Volatile.Read(ref _scrapeProbes))
        {
            probe();
        }
    }
}
