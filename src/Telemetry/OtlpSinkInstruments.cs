using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics of one otlp sink: log records its receiver accepted the request of but rejected (an OTLP
/// partial_success). They are neither retried nor dead-lettered, since the answer does not say which records they
/// were, so this counter and the sink's warning are where they show.
/// </summary>
public sealed class OtlpSinkInstruments
{
    internal OtlpSinkInstruments(CollectorRegistry registry, string[] componentLabels)
    {
        // prometheus-net returns the existing family when one of the same name and labels is created again, so every
        // otlp sink of a registry shares it.
        var factory = Metrics.WithCustomRegistry(registry);
        RejectedLogRecords = new MetricCounter(factory.CreateCounter("pipeline_otlp_rejected_log_records_total",
            "Log records an OTLP receiver accepted the request of but rejected (partial_success.rejected_log_records): neither retried nor dead-lettered, as the receiver does not say which.",
            [TelemetryNames.PipelineLabel, TelemetryNames.ComponentIdLabel, TelemetryNames.ComponentKindLabel]).WithLabels(componentLabels)).Published();
    }

    public MetricCounter RejectedLogRecords { get; }
}
