using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>The instruments of the taps on one component output (pipeline tap), bound once per tap.</summary>
public sealed class TapInstruments
{
    private readonly Gauge.Child _taps;

    internal TapInstruments(PipelineMetrics owner, string pipeline, string tapPoint)
    {
        Dropped = new MetricCounter(owner.TapDroppedEvents.WithLabels(pipeline, tapPoint)).Published();
        _taps = owner.Taps.WithLabels(pipeline, tapPoint);
    }

    /// <summary>Copies a tap dropped because its queue was full.</summary>
    public MetricCounter Dropped { get; }

    public void Attached() => _taps.Inc();

    public void Detached() => _taps.Dec();
}
