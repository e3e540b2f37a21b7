namespace Pipeline.Processors.LogToMetric;

/// <summary>The kinds of metric log_to_metric derives; Vector's set and summary have no Prometheus counterpart here.</summary>
public enum LogMetricType
{
    /// <summary>Counts the events that have the field (or adds its value, with increment_by_value).</summary>
    Counter,

    /// <summary>Observes the field's number into buckets.</summary>
    Histogram,

    /// <summary>Is set to the field's number: the last event's value wins.</summary>
    Gauge,
}
