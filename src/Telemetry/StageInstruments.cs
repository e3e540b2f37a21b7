using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// A stage's or sink's latency histograms and isolate-state gauges, bound to the stage's labels once and shared by
/// its isolates.
/// </summary>
/// <remarks>
/// The hot path does not observe these histogram children: each isolate counts into its own
/// <see cref="LatencyRecorder"/>s (see <see cref="IsolateInstruments"/>), which are flushed into the shared children
/// when metrics are collected. Only an observation that carries an exemplar goes to a child directly
/// (<see cref="ObserveTicks"/>), which is safe from any isolate because a histogram child is thread-safe.
/// </remarks>
public sealed class StageInstruments
{
    /// <summary>The values of the <c>state</c> label of <c>pipeline_isolates</c>.</summary>
    public static readonly IReadOnlyList<string> IsolateStates = ["running", "restarting", "failed", "finished"];

    private readonly Gauge.Child[] _states;

    internal StageInstruments(Histogram.Child? duration, Histogram.Child mailboxWait, Histogram.Child? latency, Func<string, Gauge.Child> state)
    {
        Duration = duration;
        MailboxWait = mailboxWait;
        Latency = latency;
        _states = [.. IsolateStates.Select(state)];
    }

    /// <summary><c>pipeline_stage_duration_seconds</c>; null for sinks.</summary>
    public Histogram.Child? Duration { get; }

    /// <summary><c>pipeline_mailbox_wait_seconds</c>.</summary>
    public Histogram.Child MailboxWait { get; }

    /// <summary><c>pipeline_event_latency_seconds</c>; null for processors.</summary>
    public Histogram.Child? Latency { get; }

    /// <summary>Sets <c>pipeline_isolates</c> for every state at once (read at scrape time).</summary>
    public void SetIsolateStates(int running, int restarting, int failed, int finished)
    {
        _states[0].Set(running);
        _states[1].Set(restarting);
        _states[2].Set(failed);
        _states[3].Set(finished);
    }

    /// <summary>Observes a duration given in <see cref="System.Diagnostics.Stopwatch"/> ticks, in seconds, straight
    /// into <paramref name="histogram"/>: for observations that carry an exemplar.</summary>
    public static void ObserveTicks(Histogram.Child histogram, long ticks)
        => histogram.Observe(ticks <= 0 ? 0 : ticks * LatencyBuckets.SecondsPerTick);
}
