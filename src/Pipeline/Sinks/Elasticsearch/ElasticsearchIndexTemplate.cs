using System.Buffers;
using System.Globalization;
using System.Text;
using Pipeline.Events;
using Pipeline.Processors;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// Where a document goes: a data stream's name or an index, with <c>{{ .field }}</c> placeholders and, for an index,
/// Vector's strftime codes of the event's timestamp (<c>app-%Y.%m.%d</c>). Rendered per event into bytes and checked
/// against Elasticsearch's rules for an index name, so a bad name is dead-lettered here with the reason rather than
/// refused by the cluster. One per sink isolate; not thread-safe.
/// </summary>
internal sealed class ElasticsearchIndexTemplate
{
    /// <summary>Elasticsearch's limit on an index name, in bytes.</summary>
    public const int MaxNameLength = 255;

    /// <summary>Distinct date-formatted templates kept (one a day for app-%Y.%m.%d); past it, the cache starts over.</summary>
    private const int MaxKeptTemplates = 64;

    private const string DateCodes = "YmdHMSj%";

    private static readonly FieldPath Timestamp = FieldPath.Parse(".timestamp");
    private static readonly FieldPath AtTimestamp = FieldPath.Parse(".\"@timestamp\"");
    private static readonly SearchValues<byte> ForbiddenBytes = SearchValues.Create("\\/*?\"<>| ,#:"u8.ToArray().Concat(Enumerable.Range(0, 32).Select(b => (byte)b)).ToArray());

    private readonly string _what;
    private readonly TimeProvider _time;
    private readonly FieldTemplate? _fields;
    private readonly string? _dated;
    private readonly Dictionary<string, FieldTemplate> _byDate = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FieldTemplate>.AlternateLookup<ReadOnlySpan<char>> _byDateSpan;
    private readonly char[] _formatted = new char[1024];

    private ElasticsearchIndexTemplate(string what, string text, bool hasDates, TimeProvider time)
    {
        _time = time;
        _what = what;
        Text = text;
        if (hasDates)
        {
            _dated = text;
        }
        else
        {
            _fields = FieldTemplate.Parse(text);
        }
        _byDateSpan = _byDate.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Text { get; }

    /// <summary>
    /// Parses the template; throws <see cref="FormatException"/> for a bad placeholder or date code, and for a
    /// template without placeholders or codes that is no valid name already.
    /// </summary>
    /// <param name="what">How errors name it: "data stream", "index".</param>
    /// <param name="allowDates">Whether % starts a date code (an index) or is refused (a data stream's parts).</param>
    public static ElasticsearchIndexTemplate Parse(string what, string text, bool allowDates, TimeProvider? time = null)
    {
        var fields = FieldTemplate.Parse(text);
        var hasDates = false;
        for (var i = text.IndexOf('%', StringComparison.Ordinal); i >= 0; i = text.IndexOf('%', i + 2))
        {
            if (!allowDates)
            {
                throw new FormatException($"{what} \"{text}\" has a '%' at position {i + 1}; a data stream name takes no date codes (its backing indices roll over by themselves)");
            }
            if (i + 1 >= text.Length || !DateCodes.Contains(text[i + 1], StringComparison.Ordinal))
            {
                throw new FormatException($"{what} \"{text}\" has an unknown date code at position {i + 1}: expected one of %Y %m %d %H %M %S %j %%");
            }
            hasDates = true;
        }
        if (fields.Fields.Count == 0 && !hasDates && Reject(Encoding.UTF8.GetBytes(text)) is { } problem)
        {
            throw new FormatException($"{what} \"{text}\" is not an Elasticsearch index name: {problem}");
        }
        return new ElasticsearchIndexTemplate(what, text, hasDates, time ?? TimeProvider.System);
    }

    /// <summary>Writes the event's name to <paramref name="destination"/>; false with <paramref name="reason"/> when it cannot be made.</summary>
    public bool TryRender(Event evt, ArrayBufferWriter<byte> destination, out string? reason)
    {
        reason = null;
        var template = _fields ?? DatedTemplate(evt, out reason);
        if (template is null)
        {
            return false;
        }
        foreach (var field in template.Fields)
        {
            if (evt.Get(field).Kind is EventValueKind.Missing or EventValueKind.Null)
            {
                reason = $"{_what} template \"{Text}\" needs {field}, and the event has none";
                return false;
            }
        }
        var start = destination.WrittenCount;
        template.Render(evt, destination);
        var name = destination.WrittenSpan[start..];
        if (Reject(name) is { } problem)
        {
            reason = $"{_what} template \"{Text}\" made '{Encoding.UTF8.GetString(name[..Math.Min(name.Length, MaxNameLength + 1)])}', which is not an Elasticsearch index name: {problem}";
            return false;
        }
        return true;
    }

    /// <summary>Why <paramref name="name"/> is no index name Elasticsearch accepts; null when it is one.</summary>
    private static string? Reject(ReadOnlySpan<byte> name) => name switch
    {
        [] => "it is empty",
        _ when name.Length > MaxNameLength => $"longer than {MaxNameLength} bytes",
        [(byte)'-' or (byte)'_' or (byte)'+', ..] => "it starts with '-', '_' or '+'",
        [(byte)'.'] or [(byte)'.', (byte)'.'] => "'.' and '..' are not allowed",
        _ when name.ContainsAny(ForbiddenBytes) => "it contains one of \\ / * ? \" < > | , # : a space or a control character",
        _ when name.ContainsAnyInRange((byte)'A', (byte)'Z') => "it has upper-case letters",
        _ => null,
    };

    private FieldTemplate? DatedTemplate(Event evt, out string? reason)
    {
        reason = null;
        var value = evt.Get(AtTimestamp);
        if (value.IsMissing)
        {
            value = evt.Get(Timestamp);
        }
        Span<char> text = stackalloc char[64];
        DateTimeOffset time;
        if (value.Kind is EventValueKind.Missing or EventValueKind.Null)
        {
            // As Vector: an event without a time of its own is filed under the time it is sent.
            time = _time.GetUtcNow();
        }
        else if (!value.TryGetUtf8(out var utf8) || utf8.Length > text.Length
            || !DateTimeOffset.TryParse(text[..Encoding.UTF8.GetChars(utf8, text)], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time))
        {
            // A time that does not parse would file the event under a wrong date, or a made-up one.
            reason = $"{_what} template \"{Text}\" needs the event's timestamp for its date, and {value.ToJson()} is no RFC 3339 time";
            return null;
        }
        if (!TryFormat(time.UtcDateTime, out var formatted))
        {
            reason = $"{_what} template \"{Text}\" is longer than {_formatted.Length} characters once dated";
            return null;
        }
        if (_byDateSpan.TryGetValue(formatted, out var kept))
        {
            return kept;
        }
        if (_byDate.Count >= MaxKeptTemplates)
        {
            _byDate.Clear();
        }
        var made = new string(formatted);
        var template = FieldTemplate.Parse(made);
        _byDate.Add(made, template);
        return template;
    }

    private bool TryFormat(DateTime time, out ReadOnlySpan<char> formatted)
    {
        var source = _dated.AsSpan();
        var output = _formatted.AsSpan();
        var written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            if (output.Length - written < 4)
            {
                formatted = default;
                return false;
            }
            if (source[i] != '%')
            {
                output[written++] = source[i];
                continue;
            }
            i++;
            var (value, digits) = source[i] switch
            {
                'Y' => (time.Year, 4),
                'm' => (time.Month, 2),
                'd' => (time.Day, 2),
                'H' => (time.Hour, 2),
                'M' => (time.Minute, 2),
                'S' => (time.Second, 2),
                'j' => (time.DayOfYear, 3),
                _ => (-1, 0),
            };
            if (value < 0)
            {
                output[written++] = '%';
                continue;
            }
            value.TryFormat(output[written..], out var n, digits == 4 ? "D4" : digits == 3 ? "D3" : "D2", CultureInfo.InvariantCulture);
            written += n;
        }
        formatted = output[..written];
        return true;
    }
}
