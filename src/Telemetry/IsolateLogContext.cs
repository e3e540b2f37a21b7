using System.Diagnostics;
using Serilog.Events;

namespace Pipeline.Telemetry;

/// <summary>
/// What the log enricher knows about the isolate running the current code: its stage and index, and how to ask it for
/// the trace context of the event it is handling right now. One instance per isolate, made current once when the
/// isolate's loop starts (an <see cref="AsyncLocal{T}"/> set once, so the processor's and the sink's own code, and
/// whatever they await, see it). Nothing is written per event: the enricher asks the isolate only when a line is
/// logged.
/// </summary>
/// <remarks>
/// A processor logging from a background task it started itself may be answered with the isolate's next event;
/// code on the isolate's own flow always gets the event it handles.
/// </remarks>
public sealed class IsolateLogContext
{
    private static readonly AsyncLocal<IsolateLogContext?> Slot = new();

    private readonly IHandledEventTrace _handled;

    public IsolateLogContext(string stage, int isolate, IHandledEventTrace handled)
    {
        ArgumentNullException.ThrowIfNull(handled);
        _handled = handled;
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

    /// <summary>The ids of the event being handled, for an unsampled event (a sampled one has its span as <see cref="Activity.Current"/>).</summary>
    internal bool TryGetIds(out string traceId, out string? spanId)
    {
        if (!_handled.TryGetHandledTrace(out var trace, out var newTraceId))
        {
            traceId = "";
            spanId = null;
            return false;
        }
        if (trace.TraceId != default)
        {
            traceId = trace.TraceId.ToHexString();
            spanId = trace.SpanId != default ? trace.SpanId.ToHexString() : null;
            return true;
        }
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
