namespace Pipeline.Config;

/// <summary>One validation error: where, what, and (when it fits) a suggestion.</summary>
public sealed record ConfigError(SourceMark Mark, string Message, string? Suggestion = null)
{
    public override string ToString() => Suggestion is null
        ? $"{Mark}: error: {Message}"
        : $"{Mark}: error: {Message} (did you mean '{Suggestion}'?)";
}
