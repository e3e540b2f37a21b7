namespace Pipeline.Components;

/// <summary>The terminal state an accepted event reaches at a sink it fans out to (or where it ended before one).</summary>
public enum EventOutcome
{
    /// <summary>The sink confirmed it.</summary>
    Delivered,

    /// <summary>A disk buffer holds it, written and synced: it survives a crash of the process.</summary>
    Buffered,

    /// <summary>The dead-letter record is written (with the reason).</summary>
    DeadLettered,

    /// <summary>Dropped on purpose: a filter or sample, <c>when_full: drop_newest</c>, an output nobody reads.</summary>
    Dropped,
}
