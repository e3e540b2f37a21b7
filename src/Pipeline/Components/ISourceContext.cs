using System.Diagnostics;
using Pipeline.Events;

namespace Pipeline.Components;

/// <summary>What a running source sees of the topology: where to send events, and the backpressure behind it.</summary>
public interface ISourceContext
{
    string ComponentId { get; }

    /// <summary>The runtime's logger for this source, already enriched with its component id.</summary>
    Serilog.ILogger Logger { get; }

    /// <summary>
    /// True when every consumer of this source is a stage that parses its input in its own isolates: the source may
    /// then hand on <see cref="Event.Unparsed"/> text instead of parsing it on its one thread, and the stage (in
    /// parallel when it has several isolates) parses it, dead-lettering invalid text with the reason. False when
    /// any consumer could read the event before a stage does (a sink, a stage routed by a field's value).
    /// </summary>
    bool ConsumersParse => false;

    /// <summary>
    /// Hands an event to every downstream consumer, waiting while their mailboxes are full. The trace context
    /// (default when none came in) rides with the event. Returns false when the topology is shutting down.
    /// </summary>
    ValueTask<bool> SendAsync(Event evt, ActivityContext traceContext, CancellationToken cancellationToken);

    /// <summary>
    /// Called by a source that receives requests (<see cref="ISourceFactory.ReceivesRequests"/>) once its ports accept
    /// connections. Until every such source has, the service is not ready (<c>/readyz</c>), so a readiness probe, a
    /// load balancer or a test does not send traffic to a port nobody listens on yet.
    /// </summary>
    void ReportListening()
    {
    }

    /// <summary>
    /// Hands on <paramref name="events"/> in order, each as <see cref="SendAsync"/> would (its own sampling decision,
    /// no incoming trace context), waiting while mailboxes are full; the runtime's own bookkeeping (a clock read, the
    /// counters, the state machine) is paid once per call instead of once per event. Returns how many were handed on:
    /// fewer than all only when the topology is shutting down, and the caller still owns the rest.
    /// </summary>
    async ValueTask<int> SendAllAsync(ReadOnlyMemory<Event> events, CancellationToken cancellationToken)
    {
        for (var i = 0; i < events.Length; i++)
        {
            if (!await SendAsync(events.Span[i], default, cancellationToken).ConfigureAwait(false))
            {
                return i;
            }
        }
        return events.Length;
    }

    /// <summary>
    /// Like <see cref="SendAsync"/>, but gives up after <paramref name="deadline"/> of backpressure and returns
    /// <see cref="SendResult.Backpressure"/> (HTTP ingest then answers 429).
    /// </summary>
    ValueTask<SendResult> SendWithinAsync(Event evt, ActivityContext traceContext, TimeSpan deadline, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a batch whose events' terminal states this source wants to learn, when its <c>acknowledgements</c> are
    /// on; null when they are off (then sending costs nothing extra). Send its events with the overload that takes
    /// it, <see cref="SourceBatch.Seal"/> it, and await <see cref="SourceBatch.Completion"/>.
    /// </summary>
    SourceBatch? BeginBatch();

    /// <summary>
    /// <see cref="SendWithinAsync(Event, ActivityContext, TimeSpan, CancellationToken)"/> as part of
    /// <paramref name="batch"/>: when the result is <see cref="SendResult.Accepted"/>, the batch completes only once
    /// this event is terminal everywhere it went. <paramref name="position"/> names the event in the batch's result
    /// (a line number, an offset). Pass <see cref="Timeout.InfiniteTimeSpan"/> to wait for room as long as it takes;
    /// such a send is the rest of an input already read, and the memory limiter does not hold it back.
    /// </summary>
    ValueTask<SendResult> SendWithinAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, CancellationToken cancellationToken);

    /// <summary>
    /// The batch overload for an event read from a file: when the event is sampled, its ingest span (where its trace
    /// starts) carries the file's <paramref name="filePath"/> and <paramref name="position"/> (the line's offset).
    /// </summary>
    ValueTask<SendResult> SendWithinAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, string filePath, CancellationToken cancellationToken)
        => SendWithinAsync(evt, traceContext, deadline, batch, position, cancellationToken);

    /// <summary>
    /// Hands on events read from one input (a file's chunk, a request's body), in order, each as the overloads above
    /// would (its trace context, its position, part of <paramref name="batch"/>, waiting up to
    /// <paramref name="deadline"/> for room; <paramref name="filePath"/> for events read from a file, else null), with
    /// the runtime's bookkeeping (a clock read, the counters, the state machine) paid once per call. Stops at the first
    /// event not accepted and returns how many were, with that event's result (<see cref="SendResult.Accepted"/> when
    /// all were); the caller still owns the events from <c>Sent</c> on.
    /// </summary>
    async ValueTask<(int Sent, SendResult Result)> SendAllWithinAsync(
        ReadOnlyMemory<Event> events, ReadOnlyMemory<ActivityContext> traceContexts, ReadOnlyMemory<long> positions, TimeSpan deadline,
        SourceBatch? batch, string? filePath, CancellationToken cancellationToken)
    {
        for (var i = 0; i < events.Length; i++)
        {
            var result = await (filePath is null
                ? SendWithinAsync(events.Span[i], traceContexts.Span[i], deadline, batch, positions.Span[i], cancellationToken)
                : SendWithinAsync(events.Span[i], traceContexts.Span[i], deadline, batch, positions.Span[i], filePath, cancellationToken)).ConfigureAwait(false);
            if (result != SendResult.Accepted)
            {
                return (i, result);
            }
        }
        return (events.Length, SendResult.Accepted);
    }

    /// <summary>
    /// This source's metrics, for instruments only a kind of source has (a file source's lag and open files). The
    /// default is a registry of its own, unexported: for test doubles.
    /// </summary>
    Pipeline.Telemetry.ComponentMetrics Metrics => Pipeline.Telemetry.PipelineMetrics.CreateIsolated().ForComponent("", ComponentId, "source");

    /// <summary>
    /// Input that could not become an event (a malformed line): counted, logged and written to the dead-letter
    /// output with the reason and the raw bytes, so nothing is dropped silently.
    /// </summary>
    void ReportInvalidInput(string reason, ReadOnlySpan<byte> raw);

    /// <summary>
    /// True while the process is above its memory limiter's soft limit: refuse new input before reading it (the http
    /// source answers 503 with Retry-After). Sends made meanwhile wait, or give up at their deadline.
    /// </summary>
    bool MemoryLimited { get; }

    /// <summary>Input refused before it was read (a limit on bytes or requests in flight, the memory limiter): counted, and logged rate-limited.</summary>
    void ReportRefused(string reason);

    /// <summary>A request that failed in the source itself (an HTTP 5xx): counted, and logged with the trace id.</summary>
    void ReportRequestFailed(Exception error, string? traceId);
}

public enum SendResult
{
    Accepted,
    Backpressure,
    ShuttingDown,
}
