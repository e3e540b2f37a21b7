using System.Diagnostics;
using Serilog.Events;

namespace Pipeline.Telemetry;

/// <summary>
/// What the log enricher knows about the isolate running the current code: its stage and index, and the trace
/// context of the event it is handling right now. One instance per isolate, made current once when the isolate's
/// loop starts (an <see cref="AsyncLocal{T}"/> set once, so the processor's and the sink's own code, and whatever
/// they await, see it); the runtime then only writes the event's context into it per event, a few plain field
/// writes and no allocation.
/// </summary>
/// <remarks>
/// The per-event fields are written by the isolate's loop and read by whatever logs on its behalf. A read racing a
/// write (a processor logging from a background task it started itself) may see the previous event's ids; code on
/// the isolate's own flow always sees the current ones.
/// </remarks>
public sealed class IsolateLogContext
{
    private static readonly AsyncLocal<IsolateLogContext?> Slot = new();

    private ActivityContext _trace;
    private CompactTraceId _newTraceId;

    public IsolateLogContext(string stage, int isolate)
    {
        Stage = stage;
        Isolate = isolate;
        StageProperty = new LogEventProperty(TelemetryNames.StageProperty, new ScalarValue(stage));
        IsolateProperty = new LogEventProperty(TelemetryNames.IsolateProperty, new ScalarValue(isolate));
    }

    /// <summary>The isolate whose flow is running, or null outside any isolate.</summary>
    public static IsolateLogContext? Current => Slot.Value;

    public string Stage { get; }

    public int Isolate { get; }

    internal LogEventProperty StageProperty { get; }

    internal LogEventProperty IsolateProperty { get; }

    /// <summary>Makes this the current isolate for the calling flow and everything it starts from here on.</summary>
    public void Enter() => Slot.Value = this;

    /// <summary>The isolate starts handling an event (or a sink batch, by its first event).</summary>
    public void Handling(in ActivityContext trace, CompactTraceId newTraceId)
    {
        _trace = trace;
        _newTraceId = newTraceId;
    }

    /// <summary>No event is being handled.</summary>
    public void Idle()
    {
        _trace = default;
        _newTraceId = default;
    }

    /// <summary>The ids of the event being handled, for an unsampled event (a sampled one has its span as <see cref="Activity.Current"/>).</summary>
    internal bool TryGetIds(out string traceId, out string? spanId)
    {
        var trace = _trace;
        if (trace.TraceId != default)
        {
            traceId = trace.TraceId.ToHexString();
            spanId = trace.SpanId != default ? trace.SpanId.ToHexString() : null;
            return true;
        }
        var newTraceId = _newTraceId;
        if (!newTraceId.IsEmpty)
        {
            traceId = newTraceId.ToHexString();
            spanId = null;
            return true;
        }
        traceId = "";
        spanId = null;
        return false;
    }
}
