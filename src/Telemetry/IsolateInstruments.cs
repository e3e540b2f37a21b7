using System.Diagnostics;
using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// One isolate's gauges and latency recorders. The isolate only notes when it starts waiting on an empty mailbox and
/// when it takes the next batch; the mailbox depth and the busy fraction are computed when metrics are collected.
/// </summary>
/// <remarks>
/// Busy is everything but waiting on an empty mailbox, so waiting on a full downstream mailbox counts as busy (as in
/// Vector's <c>utilization</c>): a stage at 1.0 is saturated or blocked, and either way it is the bottleneck to look
/// at. Idle time is what is measured, because a saturated isolate never waits and so never reads the clock for it.
/// Utilization is the busy share of the wall time since the previous update, an update at least
/// <see cref="MinimumWindow"/> after the one before.
/// </remarks>
public sealed class IsolateInstruments
{
    private static readonly long MinimumWindow = Stopwatch.Frequency;

    private readonly Gauge.Child _depth;
    private readonly Gauge.Child _utilization;
    private readonly Lock _update = new();
    private long _idleTicks;
    private long _idleSince = Stopwatch.GetTimestamp();
    private long _lastIdleTicks;
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

    /// <summary>The isolate starts waiting on its empty mailbox; written by the isolate's loop only.</summary>
    public void IdleFrom(long timestamp)
    {
        if (Volatile.Read(ref _idleSince) == 0)
        {
            Volatile.Write(ref _idleSince, timestamp);
        }
    }

    /// <summary>The isolate took a batch: the wait, if there was one, is over.</summary>
    public void IdleUntil(long timestamp)
    {
        var since = Volatile.Read(ref _idleSince);
        if (since != 0)
        {
            Volatile.Write(ref _idleTicks, _idleTicks + Math.Max(0, timestamp - since));
            Volatile.Write(ref _idleSince, 0);
        }
    }

    /// <summary>Ticks spent waiting on an empty mailbox, the wait going on now included.</summary>
    private long IdleTicks(long now)
    {
        var since = Volatile.Read(ref _idleSince);
        return Volatile.Read(ref _idleTicks) + (since != 0 ? Math.Max(0, now - since) : 0);
    }

    /// <summary>At collection: flushes the latency recorders, sets the depth gauge, and the utilization once a window has passed.</summary>
    /// <param name="exited">The isolate's loop has ended: it does no work any more, and its utilization is 0.</param>
    public void Update(int mailboxDepth, bool exited = false)
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
            var idle = IdleTicks(now);
            _utilization.Set(exited ? 0 : Math.Clamp(1 - ((double)(idle - _lastIdleTicks) / elapsed), 0, 1));
            _lastIdleTicks = idle;
            _lastUpdate = now;
        }
    }
}
