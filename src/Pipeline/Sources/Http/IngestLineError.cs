namespace Pipeline.Sources.Http;

/// <summary>One part of an ingest request body that could not become an event.</summary>
/// <param name="Position">1-based line number for NDJSON; 0-based element index for a JSON array.</param>
/// <param name="Reason">What was wrong, for the response and the dead-letter record.</param>
/// <param name="Offset">Where the raw bytes start in the body.</param>
/// <param name="Length">How many raw bytes.</param>
internal readonly record struct IngestLineError(int Position, string Reason, int Offset, int Length);
