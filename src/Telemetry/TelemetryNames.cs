namespace Pipeline.Telemetry;

/// <summary>
/// The one place that knows the names of Pipeline's own telemetry. Components call <see cref="PipelineMetrics"/>,
/// <see cref="PipelineTracing"/> and the runtime; they never name a metric, span or log property themselves.
/// docs/observability.md lists every name below with its meaning.
/// </summary>
public static class TelemetryNames
{
    /// <summary>ActivitySource for every span the pipeline makes (ingest, stage hops, sink deliveries).</summary>
    public const string ActivitySourceName = "Pipeline";

    /// <summary>Metric label names, the same on every metric.</summary>
    public const string PipelineLabel = "pipeline";
    public const string ComponentIdLabel = "component_id";
    public const string ComponentKindLabel = "component_kind";

    /// <summary>Extra metric labels: the isolate index, an isolate state, a DAG edge's ends, the telemetry signal.</summary>
    public const string IsolateLabel = "isolate";
    public const string StateLabel = "state";
    public const string EdgeSourceLabel = "source";
    public const string EdgeTargetLabel = "target";
    public const string EdgeOutputLabel = "output";
    public const string SignalLabel = "signal";

    /// <summary>Log properties added while an isolate handles an event.</summary>
    public const string StageProperty = "pipeline.stage";
    public const string IsolateProperty = "pipeline.isolate";

    /// <summary>Log properties: the W3C trace and span id (lower-case hex) of the event being handled.</summary>
    public const string TraceIdProperty = "trace_id";
    public const string SpanIdProperty = "span_id";

    /// <summary>Span attributes (OpenTelemetry semantic conventions style: dotted, lower-case, namespaced).</summary>
    public const string PipelineNameAttribute = "pipeline.name";
    public const string StageAttribute = "pipeline.stage";
    public const string StageTypeAttribute = "pipeline.stage.type";
    public const string IsolateAttribute = "pipeline.isolate";
    public const string AttemptAttribute = "pipeline.attempt";
    public const string MailboxWaitAttribute = "pipeline.mailbox.wait.duration";
    public const string SourceAttribute = "pipeline.source";
    public const string SourceTypeAttribute = "pipeline.source.type";
    public const string BatchSizeAttribute = "pipeline.batch.size";
    public const string ReasonAttribute = "pipeline.reason";
    public const string ErrorTypeAttribute = "error.type";
    public const string RetryDelayAttribute = "pipeline.retry.delay.duration";
    public const string BufferIdAttribute = "pipeline.buffer.id";
    public const string LogFilePathAttribute = "log.file.path";
    public const string FileOffsetAttribute = "pipeline.file.offset";

    /// <summary>The <c>error.type</c> of an event given up on without an exception to name (a crash, a failed stage, the hard stop).</summary>
    public const string DeadLetteredErrorType = "dead_lettered";

    /// <summary>Messaging span attributes (OpenTelemetry messaging semantic conventions); the destination is the component id.</summary>
    public const string MessagingSystemAttribute = "messaging.system";
    public const string MessagingSystem = "pipeline";
    public const string MessagingOperationTypeAttribute = "messaging.operation.type";
    public const string MessagingOperationNameAttribute = "messaging.operation.name";
    public const string MessagingDestinationNameAttribute = "messaging.destination.name";
    public const string MessagingBatchMessageCountAttribute = "messaging.batch.message_count";
    public const string ReceiveOperation = "receive";
    public const string ProcessOperation = "process";
    public const string SendOperation = "send";

    /// <summary>HTTP span attributes (OpenTelemetry HTTP semantic conventions): the ingest server span, the http sink's client span.</summary>
    public const string HttpRequestMethodAttribute = "http.request.method";
    public const string HttpResponseStatusCodeAttribute = "http.response.status_code";
    public const string HttpRouteAttribute = "http.route";
    public const string UrlPathAttribute = "url.path";
    public const string UrlSchemeAttribute = "url.scheme";
    public const string UrlFullAttribute = "url.full";
    public const string ServerAddressAttribute = "server.address";
    public const string ServerPortAttribute = "server.port";

    /// <summary>Span events: a failed attempt that will be retried, a dead-lettered event, a dropped event.</summary>
    public const string RetryEvent = "pipeline.retry";
    public const string DeadLetterEvent = "pipeline.dead_letter";
    public const string DropEvent = "pipeline.drop";

    /// <summary>Metric names (beside the component counters in <see cref="PipelineMetrics"/>).</summary>
    public const string StageDurationMetric = "pipeline_stage_duration_seconds";
    public const string MailboxWaitMetric = "pipeline_mailbox_wait_seconds";
    public const string EventLatencyMetric = "pipeline_event_latency_seconds";
    public const string MailboxEventsMetric = "pipeline_mailbox_events";

    public const string BufferEventsMetric = "pipeline_buffer_events";

    public const string BufferBytesMetric = "pipeline_buffer_bytes";

    public const string BufferMaxBytesMetric = "pipeline_buffer_max_bytes";

    public const string BufferMaxEventsMetric = "pipeline_buffer_max_events";

    public const string BufferWrittenEventsMetric = "pipeline_buffer_written_events_total";

    public const string BufferWrittenBytesMetric = "pipeline_buffer_written_bytes_total";

    public const string BufferReadEventsMetric = "pipeline_buffer_read_events_total";

    public const string BufferCorruptRecordsMetric = "pipeline_buffer_corrupt_records_total";

    /// <summary>memory or disk, on every buffer series.</summary>
    public const string BufferTypeLabel = "buffer_type";

    /// <summary>What was wrong with a skipped buffer record: checksum, torn_tail, framing.</summary>
    public const string CorruptionLabel = "corruption";

    /// <summary>The kubernetes enricher: unreadable log paths, its pod cache, and the Kubernetes API's errors.</summary>
    public const string LogToMetricSkippedMetric = "pipeline_log_to_metric_skipped_events_total";

    /// <summary>The prefix of the service's own metrics, which no metric a log_to_metric stage derives may take.</summary>
    public const string OwnMetricPrefix = "pipeline_";

    public const string KubernetesUnmatchedPathsMetric = "pipeline_kubernetes_unmatched_paths_total";
    public const string KubernetesCachedPodsMetric = "pipeline_kubernetes_cached_pods";
    public const string KubernetesEvictedPodsMetric = "pipeline_kubernetes_evicted_pods_total";
    public const string KubernetesApiErrorsMetric = "pipeline_kubernetes_api_errors_total";

    /// <summary>Why the Kubernetes API failed: no_config, unauthorized, forbidden, expired, http_status, unreachable, invalid_response.</summary>
    public const string ReasonLabel = "reason";

    /// <summary>Authentication and TLS (docs/security.md): the server or client is an http source's or sink's id, or admin.</summary>
    public const string AuthFailuresMetric = "pipeline_auth_failures_total";
    public const string CredentialReloadsMetric = "pipeline_credential_reloads_total";
    public const string TlsCertificateExpiryMetric = "pipeline_tls_certificate_expiry_timestamp_seconds";
    public const string ServerLabel = "server";
    public const string ResultLabel = "result";
    public const string CredentialLabel = "credential";

    /// <summary>pipeline tap (docs/inspect.md): copies dropped because a tap's queue was full, and taps attached now.</summary>
    public const string TapDroppedEventsMetric = "pipeline_tap_dropped_events_total";
    public const string TapsMetric = "pipeline_taps";

    /// <summary>What a tap watches: a component id, or <c>id.output</c> for a named output.</summary>
    public const string TapPointLabel = "tap_point";

    /// <summary>Topology reloads (docs/reload.md), by result: applied, rejected, unchanged.</summary>
    public const string ConfigReloadsMetric = "pipeline_config_reloads_total";
    public const string ConfigLastReloadSuccessMetric = "pipeline_config_last_reload_success_timestamp_seconds";

    public const string MailboxCapacityMetric = "pipeline_mailbox_capacity";
    public const string IsolateUtilizationMetric = "pipeline_isolate_utilization";
    public const string IsolatesMetric = "pipeline_isolates";
    public const string EdgeEventsMetric = "pipeline_edge_events_total";
    public const string TopologyEdgeMetric = "pipeline_topology_edge";
    public const string TelemetryExportedMetric = "pipeline_telemetry_exported_total";
    public const string TelemetryDroppedMetric = "pipeline_telemetry_dropped_total";

    /// <summary>Values of the <c>signal</c> label.</summary>
    public const string SpansSignal = "spans";
    public const string LogsSignal = "logs";

    /// <summary>The span of one event's arrival at a source: <c>receive &lt;source id&gt;</c> (<c>{operation} {destination}</c>).</summary>
    public static string IngestSpanName(string sourceId) => ReceiveOperation + " " + sourceId;

    /// <summary>The span of one event's hop through a stage: <c>process &lt;stage id&gt;</c>.</summary>
    public static string HopSpanName(string stageId) => ProcessOperation + " " + stageId;

    /// <summary>The spans of a sink's delivery, one per sampled event and one for the batch: <c>send &lt;sink id&gt;</c>.</summary>
    public static string DeliverySpanName(string sinkId) => SendOperation + " " + sinkId;

    /// <summary>A sampled event's wait in a sink's disk buffer: <c>buffer &lt;sink id&gt;</c>.</summary>
    public static string BufferWaitSpanName(string sinkId) => "buffer " + sinkId;
}
