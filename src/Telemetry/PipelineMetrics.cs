using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// Pipeline's Prometheus metrics. Names follow Vector's scheme (<c>component_received_events_total</c>, …) under a
/// <c>pipeline_</c> prefix, with the labels <c>pipeline</c>, <c>component_id</c> and <c>component_kind</c> everywhere.
/// </summary>
public sealed class PipelineMetrics
{
    private static readonly string[] ComponentLabels =
        [TelemetryNames.PipelineLabel, TelemetryNames.ComponentIdLabel, TelemetryNames.ComponentKindLabel];

    public PipelineMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var factory = Metrics.WithCustomRegistry(registry);
        ReceivedEvents = factory.CreateCounter("pipeline_component_received_events_total", "Events a component received.", ComponentLabels);
        ReceivedBytes = factory.CreateCounter("pipeline_component_received_bytes_total", "Bytes of events a component received.", ComponentLabels);
        SentEvents = factory.CreateCounter("pipeline_component_sent_events_total", "Events a component sent on (sinks: delivered).", ComponentLabels);
        SentBytes = factory.CreateCounter("pipeline_component_sent_bytes_total", "Bytes of events a component sent on.", ComponentLabels);
        Errors = factory.CreateCounter("pipeline_component_errors_total", "Errors by type.", [.. ComponentLabels, "error_type"]);
        Discarded = factory.CreateCounter("pipeline_component_discarded_events_total", "Events dropped on purpose, by reason.", [.. ComponentLabels, "reason"]);
        DeadLetterEvents = factory.CreateCounter("pipeline_dead_letter_events_total", "Events written to the dead-letter output.", ComponentLabels);
        IsolateRestarts = factory.CreateCounter("pipeline_isolate_restarts_total", "Isolate worker loops restarted by the supervisor.", ComponentLabels);
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

    /// <summary>A fresh registry per instance, so tests and several pipelines in one process never share counters.</summary>
    public static PipelineMetrics CreateIsolated() => new(Metrics.NewCustomRegistry());

    public ComponentMetrics ForComponent(string pipeline, string componentId, string componentKind)
        => new(this, pipeline, componentId, componentKind);
}
