namespace Pipeline.Fuzzing;

/// <summary>One generated POST to the http source, with what the generator knows about it to judge the answer.</summary>
/// <param name="Body">The bytes sent.</param>
/// <param name="Plain">What the handler should read: <paramref name="Body"/>, or its decompressed form; null when the gzip stream is broken (truncated, corrupted) and what it yields is unknown.</param>
/// <param name="ContentType">The Content-Type header; null for none.</param>
/// <param name="ContentTypeAccepted">Whether the http source takes that Content-Type; null when either answer is right.</param>
/// <param name="ContentEncoding">The Content-Encoding header; null for none.</param>
/// <param name="Coding">What the http source makes of that Content-Encoding.</param>
/// <param name="Traceparents">traceparent header values: none, one, or (invalid as a whole) several.</param>
/// <param name="Tracestate">The tracestate header; null for none.</param>
public sealed record IngestRequest(
    byte[] Body, byte[]? Plain, string? ContentType, bool? ContentTypeAccepted, string? ContentEncoding, ContentCoding Coding,
    string[] Traceparents, string? Tracestate)
{
    /// <summary>True when the Content-Type names NDJSON (one event a line) rather than application/json.</summary>
    public bool IsNdjson => ContentType is { } type && !type.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Short and printable, for a failure report: the headers, the sizes, and the start of the (plain) body.</summary>
    public override string ToString()
    {
        var shown = FuzzTargets.Show(Plain ?? Body);
        return $"Content-Type: {ContentType ?? "(none)"}; Content-Encoding: {ContentEncoding ?? "(none)"}; traceparent: [{string.Join(" | ", Traceparents)}]; "
            + $"tracestate: {Tracestate ?? "(none)"}; {Body.Length} bytes sent, {(Plain is null ? "broken gzip" : $"{Plain.Length} bytes plain")}: {shown}";
    }
}
