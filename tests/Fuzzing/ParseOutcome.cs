namespace Pipeline.Fuzzing;

/// <summary>What parsing one text gave: the event's JSON, or the EventFormatException's message.</summary>
internal readonly record struct ParseOutcome(string? Json, string? Error);
