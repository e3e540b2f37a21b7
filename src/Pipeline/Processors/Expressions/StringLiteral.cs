using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Processors.Expressions;

/// <summary>
/// A string literal of a condition, encoded to UTF-8 once at compile time so that comparing it with a field never
/// creates a string per event. Each isolate's compiled condition owns its own literals (and their regexes).
/// </summary>
public sealed class StringLiteral
{
    /// <summary>Bounds a pathological pattern: the event fails (and is retried, then dead-lettered) instead of hanging its isolate.</summary>
    internal static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private readonly byte[] _utf8;

    public StringLiteral(string text)
    {
        Text = text;
        _utf8 = Encoding.UTF8.GetBytes(text);
    }

    public string Text { get; }

    internal ReadOnlySpan<byte> Utf8 => _utf8;

    /// <summary>Set when the literal is the pattern of <c>matches()</c>; compiled once per isolate.</summary>
    internal Regex? Pattern { get; private set; }

    internal void CompileAsPattern() =>
        Pattern ??= new Regex(Text, RegexOptions.Compiled | RegexOptions.CultureInvariant, RegexTimeout);

    public override string ToString() => Text;
}
