using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Pipeline.Telemetry;

namespace Pipeline.Isolates;

/// <summary>
/// One client watching a component output (<c>pipeline tap</c>): a sampled copy of each event leaving it, serialized
/// into a small bounded queue that the admin endpoint drains. The pipeline never waits for a tap: when the queue is
/// full the copy is dropped and counted, so a slow client costs it nothing but the copies.
/// </summary>
/// <remarks>
/// Each line is <c>{"component":"id","output":"name","trace_id":"…","event":{…}}</c>: the event exactly as a sink
/// would write it (EventJsonWriter), wrapped so that a named output's events and their traces can be told apart. An
/// event a source handed on unparsed (stdin before a parsing stage) is shown as its text: as <c>event</c> when it is
/// JSON, as the string <c>unparsed</c> otherwise; parsing it here would move the stage's work onto the source's thread.
/// </remarks>
public sealed class EventTap
{
    /// <summary>
    /// Lines queued for the client at most: what a busy stage sends between two polls of the reader (50 ms at 20,000
    /// events/s), and for a stalled client a quarter of a megabyte of typical 250-byte events.
    /// </summary>
    public const int Capacity = 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_line;

    private readonly Channel<byte[]> _lines = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    // {"component":"id" plus ,"output":"name" for a named output: the same for every line, escaped once.
    private readonly byte[] _prefix;
    private readonly double _sample;
    private readonly TapInstruments _instruments;
    private long _dropped;

    /// <param name="sample">The share of events copied, in (0, 1]; each event is picked at random.</param>
    public EventTap(string componentId, string? output, double sample, TapInstruments instruments)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sample);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sample, 1.0);
        var prefix = "{\"component\":" + JsonSerializer.Serialize(componentId, TapJson.Default.String);
        if (output is not null)
        {
            prefix += ",\"output\":" + JsonSerializer.Serialize(output, TapJson.Default.String);
        }
        _prefix = Encoding.UTF8.GetBytes(prefix);
        _sample = sample;
        _instruments = instruments;
    }

    /// <summary>One JSON line per copied event, newline included.</summary>
    public ChannelReader<byte[]> Lines => _lines.Reader;

    /// <summary>Copies dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Called on the producer's thread for every event the output sends; never blocks, never throws for a full queue.</summary>
    internal void Offer(in Envelope envelope)
    {
        if (_sample < 1.0 && Random.Shared.NextDouble() >= _sample)
        {
            return;
        }
        // Counting before serializing spares a full queue the copy it would drop anyway.
        if (_lines.Reader.Count >= Capacity || !_lines.Writer.TryWrite(Serialize(envelope)))
        {
            Interlocked.Increment(ref _dropped);
            _instruments.Dropped.Inc();
        }
    }

    /// <summary>No more lines: the reader ends once it read what is queued.</summary>
    internal void Complete() => _lines.Writer.TryComplete();

    private byte[] Serialize(in Envelope envelope)
    {
        var line = t_line ??= new ArrayBufferWriter<byte>(1024);
        line.ResetWrittenCount();
        line.Write(_prefix);
        if (envelope.TraceIdHex is { } traceId)
        {
            line.Write(",\"trace_id\":\""u8);
            Encoding.UTF8.GetBytes(traceId, line);
            line.Write("\""u8);
        }
        var evt = envelope.Event;
        if (evt.IsParsed)
        {
            line.Write(",\"event\":"u8);
            evt.WriteTo(line);
        }
        else if (evt.UnparsedText.TrimEnd(" \t\r\n"u8) is var text && IsJsonObject(text))
        {
            line.Write(",\"event\":"u8);
            line.Write(text);
        }
        else
        {
            line.Write(",\"unparsed\":"u8);
            using var writer = new Utf8JsonWriter(line);
            writer.WriteStringValue(text);
        }
        line.Write("}\n"u8);
        var bytes = line.WrittenSpan.ToArray();
        if (line.Capacity > 64 * 1024)
        {
            // One huge event must not pin its size in this thread's buffer for good.
            t_line = null;
        }
        return bytes;
    }

    private static bool IsJsonObject(ReadOnlySpan<byte> text)
    {
        var reader = new Utf8JsonReader(text);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            reader.Skip();
            return reader.BytesConsumed == text.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
