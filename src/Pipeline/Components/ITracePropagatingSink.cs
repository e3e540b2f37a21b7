using System.Diagnostics;
using Pipeline.Events;

namespace Pipeline.Components;

/// <summary>
/// A sink that carries each event's W3C trace context to where it delivers it (a Kafka record's <c>traceparent</c>
/// header, an OTLP log record's trace_id and span_id), so the trace continues on the other side. The sink isolate
/// calls this overload instead of <see cref="ISink.WriteAsync"/> when the sink implements it.
/// </summary>
public interface ITracePropagatingSink : ISink
{
    /// <param name="traceContexts">
    /// One per event, in batch order: for a sampled event the context of its send span (so the next process's spans
    /// are its children); for an unsampled one its trace id with the previous hop's span id and the sampled flag
    /// clear; default when the event has no trace id at all.
    /// </param>
    ValueTask WriteAsync(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, CancellationToken cancellationToken);
}
