namespace Pipeline.Config;

/// <param name="contentColumn">
/// The column of the value's first character when its characters stand one to one on one line of the file (a plain
/// or quoted scalar without escapes or line breaks), else null.
/// </param>
internal sealed class ConfigScalar(SourceMark mark, string value, bool isPlain, int? contentColumn = null) : ConfigNode(mark)
{
    private readonly string _valueAsRead = value;

    /// <summary>The text, after <c>${VAR}</c> interpolation once <see cref="EnvironmentInterpolator"/> has run.</summary>
    public string Value { get; set; } = value;

    /// <summary>Unquoted: only plain scalars can mean null.</summary>
    public bool IsPlain { get; } = isPlain;

    /// <summary>Interpolation failed and was reported; binding skips the value so one mistake is reported once.</summary>
    public bool HasReportedError { get; set; }

    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    /// <summary>
    /// Where the character at <paramref name="offset"/> of the value stands in the file, when that is known: not after
    /// interpolation changed the text, nor in a block or multi-line scalar.
    /// </summary>
    public SourceMark MarkOf(int offset) => contentColumn is { } column && Value == _valueAsRead && offset >= 0 && offset <= Value.Length
        ? Mark with { Column = column + offset }
        : Mark;

    public override string Describe() => IsNull ? "null" : $"'{Value}'";
}
