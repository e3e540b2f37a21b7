using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>One exported label set of a derived metric, bound once: recording is a call on prometheus-net's child.</summary>
public sealed class DerivedSeries
{
    private readonly Counter.Child? _counter;
    private readonly Histogram.Child? _histogram;
    private readonly Gauge.Child? _gauge;

    internal DerivedSeries(Counter.Child counter, string[] labelValues) => (_counter, LabelValues) = (counter, labelValues);

    internal DerivedSeries(Histogram.Child histogram, string[] labelValues) => (_histogram, LabelValues) = (histogram, labelValues);

    internal DerivedSeries(Gauge.Child gauge, string[] labelValues) => (_gauge, LabelValues) = (gauge, labelValues);

    internal string[] LabelValues { get; }

    /// <summary>A counter adds <paramref name="value"/>, a histogram observes it, a gauge is set to it.</summary>
    public void Record(double value)
    {
        if (_counter is not null)
        {
            _counter.Inc(value);
        }
        else if (_histogram is not null)
        {
            _histogram.Observe(value);
        }
        else
        {
            _gauge!.Set(value);
        }
    }
}
