using System.Text.Json.Serialization;

namespace Pipeline.Host;

/// <summary><c>/loglevel</c>'s answer: the level, and after a change the one before it.</summary>
internal sealed record LogLevelAnswer(
    string Level,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Previous = null);
