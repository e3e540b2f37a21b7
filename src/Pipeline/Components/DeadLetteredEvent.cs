namespace Pipeline.Components;

/// <summary>An event of a <see cref="SourceBatch"/> that was dead-lettered: its position in what the source read, and why.</summary>
/// <param name="Position">What the source gave when it sent the event: an NDJSON line number, a JSON array index, a file offset.</param>
public readonly record struct DeadLetteredEvent(long Position, string Reason);
