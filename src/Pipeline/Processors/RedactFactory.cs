using System.Text;
using System.Text.RegularExpressions;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>
/// <c>redact</c>: masks the matches of regexes (user patterns, then presets) in chosen string fields. Patterns apply
/// one after the other, each to the previous one's output; empty matches are ignored.
/// </summary>
public sealed class RedactFactory : IProcessorFactory
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

    private readonly FieldPath[] _fields;
    private readonly (string Pattern, RegexOptions Options, bool Luhn)[] _patterns;
    private readonly string _replacement;

    public RedactFactory(RedactOptions options)
    {
        if (options.Fields.Count == 0)
        {
            throw new ComponentBuildException("fields", "expected at least one field to scan, found an empty list");
        }
        _fields = [.. options.Fields];
        var patterns = new List<(string, RegexOptions, bool)>();
        foreach (var pattern in options.Patterns)
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
        foreach (var preset in options.Presets)
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
        _patterns = [.. patterns];
        _replacement = options.Replacement;
    }

    public IProcessor CreateForIsolate(int isolateIndex) => new Processor(this);

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

    private sealed class Processor : IProcessor
    {
        private readonly FieldPath[] _fields;
        private readonly (Regex Regex, bool Luhn)[] _patterns;
        private readonly string _replacement;

        // Per-isolate scratch buffers, grown as needed and reused: scanning a field allocates nothing.
        private char[] _current = new char[512];
        private char[] _next = new char[512];
        private byte[] _utf8 = new byte[1024];

        public Processor(RedactFactory factory)
        {
            _fields = factory._fields;
            _replacement = factory._replacement;
            _patterns = new (Regex, bool)[factory._patterns.Length];
            for (var i = 0; i < _patterns.Length; i++)
            {
                var (pattern, options, luhn) = factory._patterns[i];
                _patterns[i] = (new Regex(pattern, options, TimeSpan.FromSeconds(1)), luhn);
            }
        }

        public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
        {
            foreach (var field in _fields)
            {
                Redact(evt, field);
            }
            output.Emit(evt);
            return ValueTask.CompletedTask;
        }

        private void Redact(Event evt, FieldPath field)
        {
            if (!evt.Get(field).TryGetUtf8(out var utf8))
            {
                return;
            }
            EnsureCapacity(ref _current, utf8.Length);
            var length = Encoding.UTF8.GetChars(utf8, _current);
            var changed = false;
            foreach (var (regex, luhn) in _patterns)
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
                    Append(ref written, _replacement);
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
}
