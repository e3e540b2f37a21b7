using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Isolates;

/// <summary>
/// What isolates hand to each other: the event plus everything the runtime needs to know about it.
/// A readonly struct, so a hop through a mailbox allocates nothing; whoever holds the envelope owns the event.
/// </summary>
/// <param name="Event">The event; mutable only by the isolate that currently holds this envelope.</param>
/// <param name="TraceContext">
/// W3C trace context. For a sampled event (<see cref="ActivityTraceFlags.Recorded"/> set) it is the context of the
/// span of the previous hop, so the next hop's span is its child; this is the only way trace context crosses isolates.
/// An incoming trace id is kept even when the event is not sampled (the flag is then clear).
/// </param>
/// <param name="IngestTimestamp">When the event entered the pipeline, in <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
/// <param name="Attempt">1 for the first try of the current stage; incremented on each retry.</param>
/// <param name="SourceId">The id of the source that produced the event.</param>
/// <param name="EnqueuedTimestamp">When it entered the current mailbox, in <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
/// <param name="NewTraceId">
/// For an event that arrived without a trace context and was not sampled: the trace id the pipeline gave it at ingest,
/// kept as two numbers so that unsampled events cost no string (see <see cref="CompactTraceId"/>). Empty otherwise.
/// </param>
/// <param name="Ack">
/// Who wants to learn this event's terminal state (a source batch, a disk buffer); null when nobody does, and then
/// the runtime does nothing extra for it. Every copy handed on carries it; see <see cref="AcknowledgementTracker"/>.
/// </param>
/// <param name="Ticket">What the event is to <paramref name="Ack"/>: a position in the source's batch, a buffer record.</param>
public readonly record struct Envelope(
    Event Event,
    ActivityContext TraceContext,
    long IngestTimestamp,
    int Attempt,
    string SourceId,
    long EnqueuedTimestamp = 0,
    CompactTraceId NewTraceId = default,
    AcknowledgementTracker? Ack = null,
    long Ticket = 0)
{
    /// <summary>The event's trace id in hex for logs and dead-letter records; null when it has none.</summary>
    public string? TraceIdHex => TraceContext.TraceId != default
        ? TraceContext.TraceId.ToHexString()
        : NewTraceId.IsEmpty ? null : NewTraceId.ToHexString();

    /// <summary>True when the event is sampled: every hop records a span for it.</summary>
    public bool IsSampled => (TraceContext.TraceFlags & ActivityTraceFlags.Recorded) != 0;

    public Envelope WithEvent(Event evt) => this with { Event = evt };

    public Envelope NextAttempt() => this with { Attempt = Attempt + 1 };

    /// <summary>This copy reached a terminal state: tells whoever asked (nothing happens when nobody did).</summary>
    public void Settle(EventOutcome outcome, string? reason = null) => Ack?.Settle(Ticket, outcome, reason);
}
