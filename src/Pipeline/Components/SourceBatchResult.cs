namespace Pipeline.Components;

/// <summary>
/// How a <see cref="SourceBatch"/> ended, counted per copy (an event that fanned out to two sinks counts twice).
/// </summary>
/// <param name="DeadLetters">
/// The dead-lettered events, in the order they were settled, at most <see cref="SourceBatch.MaxListedDeadLetters"/>;
/// <paramref name="DeadLettered"/> counts them all.
/// </param>
public sealed record SourceBatchResult(long Delivered, long Buffered, long Dropped, long DeadLettered, IReadOnlyList<DeadLetteredEvent> DeadLetters)
{
    /// <summary>True when nothing of the batch was dead-lettered.</summary>
    public bool Succeeded => DeadLettered == 0;
}
