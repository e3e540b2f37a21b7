using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>The memory limiter's state: its limits, the heap it last saw, and whether sources are refusing.</summary>
public sealed class MemoryLimiterGauges
{
    private readonly Gauge.Child _refusing;
    private readonly Gauge.Child _heap;
    private readonly Gauge _limits;

    internal MemoryLimiterGauges(Gauge refusing, Gauge heap, Gauge limits)
    {
        _refusing = refusing.WithLabels();
        _heap = heap.WithLabels();
        _limits = limits;
    }

    public void SetLimits(long hard, long soft)
    {
        _limits.WithLabels("hard").Set(hard);
        _limits.WithLabels("soft").Set(soft);
    }

    public void SetRefusing(bool refusing, long heapBytes)
    {
        _refusing.Set(refusing ? 1 : 0);
        _heap.Set(heapBytes);
    }
}
