namespace Pipeline.Config;

/// <summary>One validation error: where, what, and (when it fits) a suggestion.</summary>
/// <param name="Detail">Lines printed under the error, such as the text in question with a caret under the place.</param>
public sealed record ConfigError(SourceMark Mark, string Message, string? Suggestion = null, string? Detail = null)
{
    public override string ToString()
    {
        var line = Suggestion is null
            ? $"{Mark}: error: {Message}"
            : $"{Mark}: error: {Message} (did you mean '{Suggestion}'?)";
        return Detail is null ? line : line + "\n" + Detail;
    }
}
