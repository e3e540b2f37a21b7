using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics of one sink's buffer, bound once: how full it is (gauges set at collection) and what went through it.
/// </summary>
public sealed class BufferInstruments
{
    private readonly Gauge.Child _events;
    private readonly Gauge.Child? _bytes;
    private readonly Gauge.Child? _maxBytes;
    private readonly Gauge.Child? _maxEvents;
    private readonly Func<string, MetricCounter> _corruption;

    internal BufferInstruments(
        Gauge.Child events, Gauge.Child? bytes, Gauge.Child? maxBytes, Gauge.Child? maxEvents,
        MetricCounter written, MetricCounter writtenBytes, MetricCounter read, Func<string, MetricCounter> corruption)
    {
        _events = events;
        _bytes = bytes;
        _maxBytes = maxBytes;
        _maxEvents = maxEvents;
        Written = written;
        WrittenBytes = writtenBytes;
        Read = read;
        _corruption = corruption;
    }

    public MetricCounter Written { get; }

    public MetricCounter WrittenBytes { get; }

    public MetricCounter Read { get; }

    /// <summary>The counter of skipped records of one kind (checksum, torn_tail, framing), published at 0 when bound.</summary>
    public MetricCounter Corruption(string kind) => _corruption(kind);

    /// <summary>At metrics collection.</summary>
    /// <param name="capacity">max_size in bytes for a disk buffer, max_events for a memory one.</param>
    public void Update(long events, long bytes, long capacity)
    {
        _events.Set(events);
        _bytes?.Set(bytes);
        _maxBytes?.Set(capacity);
        _maxEvents?.Set(capacity);
    }
}
