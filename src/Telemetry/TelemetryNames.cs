namespace Pipeline.Telemetry;

/// <summary>
/// The one place that knows the names of Pipeline's own telemetry. Components call <see cref="PipelineMetrics"/>
/// and the runtime; they never name a metric, span or log property themselves.
/// </summary>
public static class TelemetryNames
{
    /// <summary>ActivitySource for every span the pipeline makes (ingest, stage hops, sink deliveries).</summary>
    public const string ActivitySourceName = "Pipeline";

    /// <summary>System.Diagnostics.Metrics meter name, for OpenTelemetry metric readers.</summary>
    public const string MeterName = "Pipeline";

    /// <summary>Metric label names, the same on every metric.</summary>
    public const string PipelineLabel = "pipeline";
    public const string ComponentIdLabel = "component_id";
    public const string ComponentKindLabel = "component_kind";

    /// <summary>Log properties added while an isolate handles an event.</summary>
    public const string StageProperty = "pipeline.stage";
    public const string IsolateProperty = "pipeline.isolate";

    /// <summary>W3C hex ids of the span active while the event is handled.</summary>
    public const string TraceIdProperty = "trace_id";
    public const string SpanIdProperty = "span_id";
}
