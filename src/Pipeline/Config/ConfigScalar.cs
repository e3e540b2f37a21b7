namespace Pipeline.Config;

internal sealed class ConfigScalar(SourceMark mark, string value, bool isPlain) : ConfigNode(mark)
{
    /// <summary>The text, after <c>${VAR}</c> interpolation once <see cref="EnvironmentInterpolator"/> has run.</summary>
    public string Value { get; set; } = value;

    /// <summary>Unquoted: only plain scalars can mean null.</summary>
    public bool IsPlain { get; } = isPlain;

    /// <summary>Interpolation failed and was reported; binding skips the value so one mistake is reported once.</summary>
    public bool HasReportedError { get; set; }

    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "null" : $"'{Value}'";
}
