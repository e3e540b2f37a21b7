namespace Pipeline.Tests.Io;

/// <param name="Headers">Request headers, names case-insensitive.</param>
/// <param name="RawBody">The body as sent.</param>
/// <param name="Body">The body after gzip decoding, if it was gzip.</param>
/// <param name="Status">The status the server answered it with.</param>
internal sealed record CapturedRequest(IReadOnlyDictionary<string, string> Headers, byte[] RawBody, byte[] Body, int Status = 200);
