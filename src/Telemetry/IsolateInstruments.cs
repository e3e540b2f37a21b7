using System.Diagnostics;
using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// One isolate's gauges. The isolate only adds up the ticks it was busy (one plain write per batch); the mailbox depth
/// and the busy fraction are computed when metrics are collected.
/// </summary>
/// <remarks>
/// Busy means handling a batch, from taking it out of the mailbox until the last of it was handed on, so waiting on
/// a full downstream mailbox counts as busy (as in Vector's <c>utilization</c>): a stage at 1.0 is saturated or
/// blocked, and either way it is the bottleneck to look at. Utilization is the busy share of the wall time since the
/// previous update, an update at least <see cref="MinimumWindow"/> after the one before.
/// </remarks>
public sealed class IsolateInstruments
{
    private static readonly long MinimumWindow = Stopwatch.Frequency;

    private readonly Gauge.Child _depth;
    private readonly Gauge.Child _utilization;
    private readonly Lock _update = new();
    private long _busyTicks;
    private long _lastBusyTicks;
    private long _lastUpdate = Stopwatch.GetTimestamp();

    internal IsolateInstruments(Gauge.Child depth, Gauge.Child utilization)
    {
        _depth = depth;
        _utilization = utilization;
    }

    /// <summary>Ticks spent busy since start; written by the isolate's loop only.</summary>
    public long BusyTicks => Volatile.Read(ref _busyTicks);

    /// <summary>The isolate finished a batch that kept it busy for <paramref name="ticks"/>.</summary>
    public void AddBusy(long ticks) => Volatile.Write(ref _busyTicks, _busyTicks + ticks);

    /// <summary>At collection: sets the depth gauge, and the utilization gauge once a window has passed.</summary>
    public void Update(int mailboxDepth)
    {
        _depth.Set(mailboxDepth);
        // Two scrapers at once (Prometheus and /topology) must not both close the same window.
        lock (_update)
        {
            var now = Stopwatch.GetTimestamp();
            var elapsed = now - _lastUpdate;
            if (elapsed < MinimumWindow)
            {
                return;
            }
            var busy = BusyTicks;
            _utilization.Set(Math.Clamp((double)(busy - _lastBusyTicks) / elapsed, 0, 1));
            _lastBusyTicks = busy;
            _lastUpdate = now;
        }
    }
}
