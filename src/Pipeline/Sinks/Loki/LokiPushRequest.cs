using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Loki;

/// <summary>
/// Turns a batch into one push body of Loki's JSON form: the events grouped into streams by their rendered labels,
/// each stream's entries sorted by time (Loki wants a stream's entries in order within a request), each entry
/// <c>["&lt;unix ns&gt;", "&lt;line&gt;", { structured metadata }]</c>. One per sink isolate; buffers and the streams
/// seen are reused across batches. Not thread-safe.
/// </summary>
internal sealed class LokiPushRequest
{
    /// <summary>The label value of an entry whose real value is beyond its label's bound.</summary>
    public const string OverflowValue = "__overflow__";

    /// <summary>The stream of an event whose every label rendered empty: Loki refuses an entry without labels.</summary>
    public const string FallbackLabel = "sink";

    /// <summary>Label sets kept between batches; past it they are forgotten at the next batch, which only costs re-creating them.</summary>
    private const int MaxKeptStreams = 4096;

    private const int MaxRenderedValueChars = 16 * 1024;

    private static readonly SearchValues<byte> NeedsEscaping = SearchValues.Create([(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly LokiLabel[] _labels;
    private readonly LokiLabelValues _values;
    private readonly MetricCounter[] _overLimit;
    private readonly string _fallbackValue;
    private readonly bool _textLines;
    private readonly FieldPath[] _removedFields;

    private readonly ArrayBufferWriter<byte> _rendered = new(256);
    private readonly ArrayBufferWriter<byte> _line = new(1024);
    private readonly ArrayBufferWriter<byte> _quoted = new(1024);
    private readonly ArrayBufferWriter<byte> _body = new(64 * 1024);
    private readonly Utf8JsonWriter _json;

    /// <summary>The current event's label values, decoded, one after the other; <see cref="_valueEnds"/> says where each ends.</summary>
    private char[] _valueChars = new char[256];
    private readonly int[] _valueEnds;
    private readonly bool[] _admitted;
    private char[] _key = new char[256];

    private readonly Dictionary<string, int> _streamIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _streamIdsBySpan;
    private readonly List<byte[]> _streamLabelsJson = [];

    private Entry[] _entries = new Entry[64];
    private readonly List<(string Label, string Value)> _overflowed = [];

    public LokiPushRequest(IReadOnlyList<LokiLabel> labels, LokiLabelValues values, MetricCounter[] overLimit, string sinkId, bool textLines, bool removeLabelFields)
    {
        _labels = [.. labels];
        _values = values;
        _overLimit = overLimit;
        _fallbackValue = sinkId;
        _textLines = textLines;
        _removedFields = removeLabelFields ? [.. labels.SelectMany(l => l.Template.Fields).DistinctBy(f => f.Text)] : [];
        _valueEnds = new int[_labels.Length];
        _admitted = new bool[_labels.Length];
        _json = new Utf8JsonWriter(_body, WriterOptions);
        _streamIdsBySpan = _streamIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Entries of the last body, in the order written (by stream, then time).</summary>
    public ReadOnlySpan<Entry> Entries => _entries.AsSpan(0, EntryCount);

    public int EntryCount { get; private set; }

    /// <summary>Writes the batch's body; an event without an RFC 3339 <c>timestamp</c> gets <paramref name="now"/>.</summary>
    public ReadOnlyMemory<byte> Build(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, DateTimeOffset now)
    {
        if (_streamIds.Count > MaxKeptStreams)
        {
            _streamIds.Clear();
            _streamLabelsJson.Clear();
        }
        _overflowed.Clear();
        if (_entries.Length < batch.Count)
        {
            _entries = new Entry[batch.Count];
        }
        var nowNanos = (now.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        for (var i = 0; i < batch.Count; i++)
        {
            var evt = batch[i];
            var overflowStart = _overflowed.Count;
            var stream = StreamOf(evt);
            _entries[i] = new Entry(
                LokiTimestamp.TryParse(evt.Get(TimestampField), out var nanos) ? nanos : nowNanos,
                i, stream, overflowStart, _overflowed.Count - overflowStart);
        }
        EntryCount = batch.Count;
        _entries.AsSpan(0, batch.Count).Sort(static (a, b) => a.Stream != b.Stream ? a.Stream.CompareTo(b.Stream) : a.UnixNanos != b.UnixNanos ? a.UnixNanos.CompareTo(b.UnixNanos) : a.Event.CompareTo(b.Event));
        return Write(batch, traceContexts);
    }

    private static readonly FieldPath TimestampField = FieldPath.Parse("timestamp");

    /// <summary>The id of the event's stream, its label values rendered, bounded and looked up; the overflowed ones go to <see cref="_overflowed"/>.</summary>
    private int StreamOf(Event evt)
    {
        var chars = 0;
        for (var l = 0; l < _labels.Length; l++)
        {
            _rendered.ResetWrittenCount();
            _labels[l].Template.Render(evt, _rendered);
            var utf8 = _rendered.WrittenSpan;
            if (utf8.Length > MaxRenderedValueChars)
            {
                utf8 = utf8[..MaxRenderedValueChars];
            }
            EnsureCapacity(ref _valueChars, chars + utf8.Length);
            var length = Encoding.UTF8.GetChars(utf8, _valueChars.AsSpan(chars));
            var value = _valueChars.AsSpan(chars, length);
            _admitted[l] = length == 0 || _values.Admit(l, value);
            if (!_admitted[l])
            {
                _overLimit[l].Inc();
                _overflowed.Add((_labels[l].Name, new string(value)));
            }
            chars += length;
            _valueEnds[l] = chars;
        }

        // The key names each non-empty label with its value's length, so no value can pass for another label's.
        var keyLength = 0;
        var start = 0;
        for (var l = 0; l < _labels.Length; l++)
        {
            var value = _admitted[l] ? _valueChars.AsSpan(start, _valueEnds[l] - start) : OverflowValue.AsSpan();
            start = _valueEnds[l];
            if (value.Length == 0)
            {
                continue;
            }
            EnsureCapacity(ref _key, keyLength + value.Length + 4);
            _key[keyLength++] = (char)l;
            _key[keyLength++] = (char)(value.Length >> 16);
            _key[keyLength++] = (char)(value.Length & 0xFFFF);
            value.CopyTo(_key.AsSpan(keyLength));
            keyLength += value.Length;
        }
        var key = _key.AsSpan(0, keyLength);
        if (_streamIdsBySpan.TryGetValue(key, out var id))
        {
            return id;
        }
        id = _streamLabelsJson.Count;
        _streamLabelsJson.Add(LabelsJson());
        _streamIds.Add(new string(key), id);
        return id;
    }

    /// <summary>The <c>stream</c> object of the current event's labels, made once per distinct set.</summary>
    private byte[] LabelsJson()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using var json = new Utf8JsonWriter(buffer, WriterOptions);
        json.WriteStartObject();
        var start = 0;
        var any = false;
        for (var l = 0; l < _labels.Length; l++)
        {
            var value = _admitted[l] ? _valueChars.AsSpan(start, _valueEnds[l] - start) : OverflowValue.AsSpan();
            start = _valueEnds[l];
            if (value.Length > 0)
            {
                json.WriteString(_labels[l].Name, value);
                any = true;
            }
        }
        if (!any)
        {
            json.WriteString(FallbackLabel, _fallbackValue);
        }
        json.WriteEndObject();
        json.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private ReadOnlyMemory<byte> Write(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts)
    {
        _body.ResetWrittenCount();
        _json.Reset(_body);
        _json.WriteStartObject();
        _json.WriteStartArray("streams"u8);
        var entries = _entries.AsSpan(0, EntryCount);
        for (var i = 0; i < entries.Length;)
        {
            var stream = entries[i].Stream;
            _json.WriteStartObject();
            _json.WritePropertyName("stream"u8);
            _json.WriteRawValue(_streamLabelsJson[stream], skipInputValidation: true);
            _json.WriteStartArray("values"u8);
            for (; i < entries.Length && entries[i].Stream == stream; i++)
            {
                WriteEntry(entries[i], batch[entries[i].Event], entries[i].Event < traceContexts.Count ? traceContexts[entries[i].Event] : default);
            }
            _json.WriteEndArray();
            _json.WriteEndObject();
        }
        _json.WriteEndArray();
        _json.WriteEndObject();
        _json.Flush();
        return _body.WrittenMemory;
    }

    private void WriteEntry(in Entry entry, Event evt, ActivityContext trace)
    {
        _json.WriteStartArray();
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(entry.UnixNanos, digits, out var written);
        _json.WriteStringValue(digits[..written]);
        WriteLine(evt);
        if (trace.TraceId != default || entry.OverflowCount > 0)
        {
            _json.WriteStartObject();
            if (trace.TraceId != default)
            {
                Span<byte> raw = stackalloc byte[16];
                Span<byte> hex = stackalloc byte[32];
                trace.TraceId.CopyTo(raw);
                Convert.TryToHexStringLower(raw, hex, out _);
                _json.WriteString("trace_id"u8, hex);
                trace.SpanId.CopyTo(raw[..8]);
                Convert.TryToHexStringLower(raw[..8], hex[..16], out _);
                _json.WriteString("span_id"u8, hex[..16]);
            }
            for (var o = entry.OverflowStart; o < entry.OverflowStart + entry.OverflowCount; o++)
            {
                _json.WriteString(_overflowed[o].Label, _overflowed[o].Value);
            }
            _json.WriteEndObject();
        }
        _json.WriteEndArray();
    }

    /// <summary>The entry's line: its message (text codec), or the event as JSON, without the label fields when asked.</summary>
    private void WriteLine(Event evt)
    {
        if (_textLines && evt.Get(MessageField).TryGetUtf8(out var message))
        {
            _json.WriteStringValue(message);
            return;
        }
        _quoted.ResetWrittenCount();
        _quoted.Write("\""u8);
        var json = EventJson(evt);
        // The event's JSON needs only its quotes and backslashes escaped to be a string, and the whitespace between
        // its tokens if it kept any (an unparsed event is written as it came in). Utf8JsonWriter escapes byte by byte
        // once it meets one, and a JSON line is full of quotes: measured, that was 5 µs of a 6.5 µs entry.
        while (json.IndexOfAny(NeedsEscaping) is var next and >= 0)
        {
            _quoted.Write(json[..next]);
            var b = json[next];
            if (b is (byte)'"' or (byte)'\\')
            {
                _quoted.Write([(byte)'\\', b]);
            }
            else
            {
                _quoted.Write([(byte)'\\', (byte)'u', (byte)'0', (byte)'0', HexDigits[b >> 4], HexDigits[b & 0xF]]);
            }
            json = json[(next + 1)..];
        }
        _quoted.Write(json);
        _quoted.Write("\""u8);
        _json.WriteRawValue(_quoted.WrittenSpan, skipInputValidation: true);
    }

    private ReadOnlySpan<byte> EventJson(Event evt)
    {
        _line.ResetWrittenCount();
        if (_removedFields.Length == 0)
        {
            evt.WriteTo(_line);
            return _line.WrittenSpan;
        }
        var copy = evt.Clone();
        try
        {
            foreach (var field in _removedFields)
            {
                copy.Remove(field);
            }
            copy.WriteTo(_line);
        }
        finally
        {
            copy.Release();
        }
        return _line.WrittenSpan;
    }

    private static readonly FieldPath MessageField = FieldPath.Parse("message");

    private static void EnsureCapacity(ref char[] buffer, int needed)
    {
        if (buffer.Length < needed)
        {
            Array.Resize(ref buffer, Math.Max(needed, buffer.Length * 2));
        }
    }

    /// <summary>One entry of the body: its time, its event's index in the batch, its stream, and its overflowed labels in the overflow list.</summary>
    internal readonly record struct Entry(long UnixNanos, int Event, int Stream, int OverflowStart, int OverflowCount);
}
