using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Processors.LogToMetric;

/// <summary>
/// One metric of a log_to_metric stage, compiled at build time and bound to its exported metric when the stage starts;
/// shared by the stage's isolates, which keep their rendering buffers to themselves.
/// </summary>
public sealed class LogMetricPlan(DerivedMetricShape shape, FieldPath field, bool incrementByValue, FieldTemplate[] tags)
{
    public DerivedMetricShape Shape { get; } = shape;

    public FieldPath Field { get; } = field;

    public bool IncrementByValue { get; } = incrementByValue;

    /// <summary>One template per label, in <see cref="DerivedMetricShape.LabelNames"/> order.</summary>
    public IReadOnlyList<FieldTemplate> Tags { get; } = tags;

    // Set by Bind before the stage makes any isolate (starting them orders these writes before the isolates' reads).
    internal bool Bound { get; private set; }

    /// <summary>Null when the name could not be exported (Bind logged why): each event is then counted as unavailable.</summary>
    internal DerivedMetric? Metric { get; private set; }

    internal MetricCounter SeriesLimit { get; private set; }

    internal MetricCounter MissingField { get; private set; }

    internal MetricCounter NotANumber { get; private set; }

    internal MetricCounter Negative { get; private set; }

    internal MetricCounter LabelTooLong { get; private set; }

    internal MetricCounter Unavailable { get; private set; }

    internal void Bind(LogToMetricInstruments instruments, Serilog.ILogger logger, string componentId)
    {
        var name = Shape.Name;
        SeriesLimit = instruments.Skipped(name, LogToMetricInstruments.SeriesLimit);
        MissingField = instruments.Skipped(name, LogToMetricInstruments.MissingField);
        NotANumber = instruments.Skipped(name, LogToMetricInstruments.NotANumber);
        Negative = instruments.Skipped(name, LogToMetricInstruments.Negative);
        LabelTooLong = instruments.Skipped(name, LogToMetricInstruments.LabelTooLong);
        Unavailable = instruments.Skipped(name, LogToMetricInstruments.Unavailable);
        try
        {
            Metric = instruments.Metrics.Acquire(Shape);
        }
        catch (InvalidOperationException e)
        {
            // A reload cannot be refused from here (the stage is already built), and events must still flow: the
            // metric stays out, its events are counted as unavailable, and this says why once.
            logger.Error("{ComponentId}: metric {Metric} is not exported: {Reason}", componentId, name, e.Message);
        }
        Bound = true;
    }

    internal void Release(LogToMetricInstruments instruments)
    {
        if (Metric is { } metric)
        {
            instruments.Metrics.Release(metric);
            Metric = null;
        }
    }
}
