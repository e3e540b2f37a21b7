using Pipeline.Config;

namespace Pipeline.Host.ConfigTests;

/// <summary>Why a config test failed, at the place in the file that says what was expected.</summary>
public sealed record UnitTestFailure(SourceMark Mark, string Message)
{
    public override string ToString() => $"{Mark}: {Message}";
}
