using System.Text;
using System.Text.RegularExpressions;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

[Component("redact", "Masks regex matches in string fields; presets for emails, bearer tokens and card numbers.")]
public sealed class RedactConfig : IProcessorConfig
{
    private const RegexOptions Compiled = RegexOptions.Compiled | RegexOptions.CultureInvariant;

    private static readonly Dictionary<string, (string Pattern, RegexOptions Options, bool Luhn)> PresetPatterns = new(StringComparer.Ordinal)
    {
        ["email"] = (@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", Compiled, false),
        // Only the token is masked, so the log still says which scheme was used.
        ["bearer_token"] = (@"(?<=\bbearer\s+)[A-Za-z0-9\-._~+/]+=*", Compiled | RegexOptions.IgnoreCase, false),
        // 13 to 19 digits, optionally grouped by single spaces or dashes, not part of a longer digit run; the Luhn
        // check then spares order numbers and other random digit runs.
        ["credit_card"] = (@"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])", Compiled, true),
    };

    [Option("String fields to scan; missing and non-string fields are skipped.", Example = "[.message, .request.headers.authorization]")]
    public List<FieldPath> Fields { get; set; } = [FieldPath.Parse(".message")];

    [Option("Regular expressions (.NET syntax) whose matches are masked; use lookarounds to mask only part of a match.",
        Example = "['(?<=password=)\\S+']")]
    public List<string> Patterns { get; set; } = [];

    [Option("Built-in patterns: email, bearer_token (the token after \"Bearer \"), credit_card (13-19 digits passing the Luhn check).",
        Example = "[email, bearer_token, credit_card]")]
    public List<string> Presets { get; set; } = [];

    [Option("The text that replaces each match.", Example = "\"***\"")]
    public string Replacement { get; set; } = "[REDACTED]";

    public IProcessorFactory Build(ComponentContext context)
    {
        if (Fields.Count == 0)
        {
            throw new ComponentBuildException("fields", "expected at least one field to scan, found an empty list");
        }
        FieldPath[] fields = [.. Fields];
        var patterns = new List<(string Pattern, RegexOptions Options, bool Luhn)>();
        foreach (var pattern in Patterns)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                throw new ComponentBuildException("patterns", $"'{pattern}' is not a valid regular expression: {ex.Message}", ex);
            }
            patterns.Add((pattern, Compiled, false));
        }
        foreach (var preset in Presets)
        {
            if (!PresetPatterns.TryGetValue(preset, out var known))
            {
                throw new ComponentBuildException("presets", $"unknown preset '{preset}'; expected one of {string.Join(", ", PresetPatterns.Keys)}");
            }
            patterns.Add(known);
        }
        if (patterns.Count == 0)
        {
            throw new ComponentBuildException("patterns", "expected at least one pattern or preset, found none");
        }
        var replacement = Replacement;
        return new ProcessorFactory(_ => new Redact(
            fields,
            [.. patterns.Select(p => (new Regex(p.Pattern, p.Options, TimeSpan.FromSeconds(1)), p.Luhn))],
            replacement));
    }
}

/// <summary>
/// Masks the matches of regexes (user patterns, then presets) in chosen string fields. Patterns apply one after the
/// other, each to the previous one's output; empty matches are ignored.
/// </summary>
/// <param name="patterns">This isolate's own compiled regexes, each with whether a match must also pass the Luhn check.</param>
public sealed class Redact(FieldPath[] fields, (Regex Regex, bool Luhn)[] patterns, string replacement) : IProcessor
{
    // Per-isolate scratch buffers, grown as needed and reused: scanning a field allocates nothing.
    private char[] _current = new char[512];
    private char[] _next = new char[512];
    private byte[] _utf8 = new byte[1024];

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        foreach (var field in fields)
        {
            RedactField(evt, field);
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }

    /// <summary>The Luhn checksum of the digits in <paramref name="candidate"/> (separators are skipped).</summary>
    internal static bool PassesLuhn(ReadOnlySpan<char> candidate)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            var c = candidate[i];
            if (c is < '0' or > '9')
            {
                continue;
            }
            var digit = c - '0';
            if (doubleIt)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }
            sum += digit;
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }

    private void RedactField(Event evt, FieldPath field)
    {
        if (!evt.Get(field).TryGetUtf8(out var utf8))
        {
            return;
        }
        EnsureCapacity(ref _current, utf8.Length);
        var length = Encoding.UTF8.GetChars(utf8, _current);
        var changed = false;
        foreach (var (regex, luhn) in patterns)
        {
            var text = _current.AsSpan(0, length);
            var written = 0;
            var copied = 0;
            var masked = false;
            foreach (var match in regex.EnumerateMatches(text))
            {
                if (match.Length == 0 || (luhn && !PassesLuhn(text.Slice(match.Index, match.Length))))
                {
                    continue;
                }
                Append(ref written, text[copied..match.Index]);
                Append(ref written, replacement);
                copied = match.Index + match.Length;
                masked = true;
            }
            if (!masked)
            {
                continue;
            }
            Append(ref written, text[copied..]);
            (_current, _next) = (_next, _current);
            length = written;
            changed = true;
        }
        if (changed)
        {
            EnsureCapacity(ref _utf8, Encoding.UTF8.GetMaxByteCount(length));
            var bytes = Encoding.UTF8.GetBytes(_current.AsSpan(0, length), _utf8);
            evt.SetString(field, _utf8.AsSpan(0, bytes));
        }
    }

    private void Append(ref int written, ReadOnlySpan<char> chars)
    {
        if (written + chars.Length > _next.Length)
        {
            Array.Resize(ref _next, Math.Max(written + chars.Length, _next.Length * 2));
        }
        chars.CopyTo(_next.AsSpan(written));
        written += chars.Length;
    }

    private static void EnsureCapacity<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[Math.Max(length, buffer.Length * 2)];
        }
    }
}
