namespace Pipeline.Telemetry;

/// <summary>What one log_to_metric stage counts about itself: the events a metric of it did not record, and why.</summary>
public sealed class LogToMetricInstruments
{
    /// <summary>The label set was new and the metric already exports max_series of them.</summary>
    public const string SeriesLimit = "series_limit";

    /// <summary>A histogram's or gauge's field (or a counter's with increment_by_value) is missing or null.</summary>
    public const string MissingField = "missing_field";

    /// <summary>The field holds no number, nor a string that reads as one.</summary>
    public const string NotANumber = "not_a_number";

    /// <summary>A counter's increment_by_value field is negative: counters only go up.</summary>
    public const string Negative = "negative";

    /// <summary>A rendered label value is longer than the bound that keeps a series' memory bounded.</summary>
    public const string LabelTooLong = "label_too_long";

    /// <summary>The metric could not be exported (its name is taken by another shape); the stage's start logged why.</summary>
    public const string Unavailable = "unavailable";

    private readonly PipelineMetrics _owner;
    private readonly string[] _labels;

    internal LogToMetricInstruments(PipelineMetrics owner, string[] componentLabels)
    {
        _owner = owner;
        _labels = componentLabels;
    }

    /// <summary>The service's table of derived metrics, where the stage acquires its own.</summary>
    public DerivedMetrics Metrics => _owner.Derived;

    /// <summary>The counter of <paramref name="metric"/>'s events skipped for <paramref name="reason"/>; series_limit's is exported at 0.</summary>
    public MetricCounter Skipped(string metric, string reason)
    {
        var counter = new MetricCounter(_owner.LogToMetricSkipped.WithLabels([.. _labels, metric, reason]));
        return reason == SeriesLimit ? counter.Published() : counter;
    }
}
