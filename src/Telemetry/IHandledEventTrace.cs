using System.Diagnostics;

namespace Pipeline.Telemetry;

/// <summary>
/// What an isolate tells the log enricher about the event it is handling right now, asked only when something is
/// logged: the isolate already knows which envelope it holds, so the hot path writes nothing for the enricher.
/// </summary>
public interface IHandledEventTrace
{
    /// <summary>The trace context and new trace id of the event being handled; false when none is.</summary>
    bool TryGetHandledTrace(out ActivityContext context, out CompactTraceId newTraceId);
}
