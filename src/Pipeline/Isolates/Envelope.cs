using System.Diagnostics;
using Pipeline.Events;

namespace Pipeline.Isolates;

/// <summary>
/// What isolates hand to each other: the event plus everything the runtime needs to know about it.
/// A readonly struct, so a hop through a mailbox allocates nothing; whoever holds the envelope owns the event.
/// </summary>
/// <param name="Event">The event; mutable only by the isolate that currently holds this envelope.</param>
/// <param name="TraceContext">W3C trace context. An incoming trace id is kept even when the event is not sampled.</param>
/// <param name="IngestTimestamp">When the event entered the pipeline, in <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
/// <param name="Attempt">1 for the first try of the current stage; incremented on each retry.</param>
/// <param name="SourceId">The id of the source that produced the event.</param>
/// <param name="EnqueuedTimestamp">When it entered the current mailbox, in <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
public readonly record struct Envelope(
    Event Event,
    ActivityContext TraceContext,
    long IngestTimestamp,
    int Attempt,
    string SourceId,
    long EnqueuedTimestamp = 0)
{
    public Envelope WithEvent(Event evt) => this with { Event = evt };

    public Envelope NextAttempt() => this with { Attempt = Attempt + 1 };
}
