namespace Pipeline.Sources.Otlp;

/// <summary>A log record that could not become an event.</summary>
/// <param name="Position">The record's index in the request, from 0, counted across resources and scopes.</param>
/// <param name="Reason">What was wrong, for the answer's error_message and the dead-letter record.</param>
/// <param name="Raw">The record's protobuf bytes, for the dead-letter record.</param>
internal readonly record struct OtlpRecordError(int Position, string Reason, byte[] Raw);
