using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// One counter with its labels bound, as the runtime sees it: it counts and reads. A struct over the bound child,
/// so counting costs what it did, while prometheus-net's types stay inside src/Telemetry.
/// </summary>
public readonly struct MetricCounter
{
    private readonly Counter.Child _child;

    internal MetricCounter(Counter.Child child) => _child = child;

    public double Value => _child.Value;

    public void Inc(long count = 1) => _child.Inc(count);

    /// <summary>Exports the series at 0 before its first increment, so rate() sees that increment too.</summary>
    public MetricCounter Published()
    {
        _child.Publish();
        return this;
    }

    /// <summary>Raises the counter to <paramref name="total"/> (never lowers it): for totals kept elsewhere and published at scrape.</summary>
    public void IncTo(long total) => _child.IncTo(total);
}
