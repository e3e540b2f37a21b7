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

    internal IsolateInstruments(Gauge.Child depth, Gauge.Child utilization, StageInstruments stage)
    {
        _depth = depth;
        _utilization = utilization;
        Duration = stage.Duration is { } duration ? new LatencyRecorder(duration) : null;
        MailboxWait = new LatencyRecorder(stage.MailboxWait);
        Latency = stage.Latency is { } latency ? new LatencyRecorder(latency) : null;
    }

    /// <summary>This isolate's share of <c>pipeline_stage_duration_seconds</c>; null for sinks.</summary>
    public LatencyRecorder? Duration { get; }

    /// <summary>This isolate's share of <c>pipeline_mailbox_wait_seconds</c>.</summary>
    public LatencyRecorder MailboxWait { get; }

    /// <summary>This isolate's share of <c>pipeline_event_latency_seconds</c>; null for processors.</summary>
    public LatencyRecorder? Latency { get; }

    /// <summary>Ticks spent busy since start; written by the isolate's loop only.</summary>
    public long BusyTicks => Volatile.Read(ref _busyTicks);

    /// <summary>The isolate finished a batch that kept it busy for <paramref name="ticks"/>.</summary>
    public void AddBusy(long ticks) => Volatile.Write(ref _busyTicks, _busyTicks + ticks);

    /// <summary>At collection: flushes the latency recorders, sets the depth gauge, and the utilization once a window has passed.</summary>
    public void Update(int mailboxDepth)
    {
        Duration?.Flush();
        MailboxWait.Flush();
        Latency?.Flush();
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
