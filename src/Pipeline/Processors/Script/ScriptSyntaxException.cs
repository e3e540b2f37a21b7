namespace Pipeline.Processors.Script;

/// <summary>A script that cannot run: where in it (1-based line and column; 0 when the whole script is meant) and why.</summary>
internal sealed class ScriptSyntaxException(int line, int column, string description)
    : Exception(line > 0 ? $"line {line}, column {column}: {description}" : description)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Description { get; } = description;
}
