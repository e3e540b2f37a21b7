namespace Pipeline.Host;

/// <summary><c>PUT /loglevel</c>'s 400 answer: why, and the levels it takes.</summary>
internal sealed record LogLevelRefusal(string Error, IReadOnlyList<string> Valid);
