using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics of one loki sink: label values it kept out of the stream labels because a label had reached its bound
/// of distinct values (the value went to the entry's structured metadata instead).
/// </summary>
/// <remarks>
/// The <c>label</c> label is one of the sink's configured label names, a set fixed by its config: the series do not
/// grow with the values that overflowed, which is the point of the bound.
/// </remarks>
public sealed class LokiInstruments
{
    public const string LabelLabel = "label";

    private readonly Counter _overLimit;
    private readonly string[] _labels;

    internal LokiInstruments(CollectorRegistry registry, string[] componentLabels)
    {
        _labels = componentLabels;
        // prometheus-net returns the existing family when one of the same name and labels is created again, so every
        // loki sink of a registry shares it.
        _overLimit = Metrics.WithCustomRegistry(registry).CreateCounter("pipeline_loki_label_values_over_limit_total",
            "Events whose value for a stream label was beyond the label's max_label_values distinct values: sent with that label set to the overflow value and the real one in structured metadata.",
            [TelemetryNames.PipelineLabel, TelemetryNames.ComponentIdLabel, TelemetryNames.ComponentKindLabel, LabelLabel]);
    }

    /// <summary>The counter of one label's overflowed values, bound once (and published at 0) so the hot path only increments it.</summary>
    public MetricCounter OverLimitCounter(string label) => new MetricCounter(_overLimit.WithLabels([.. _labels, label])).Published();
}
