namespace Pipeline.Config;

/// <summary>Where something stands in a config file, 1-based, printed as file:line:col.</summary>
public sealed record SourceMark(string File, int Line, int Column)
{
    public static SourceMark None { get; } = new("<none>", 0, 0);

    public override string ToString() => $"{File}:{Line}:{Column}";
}
