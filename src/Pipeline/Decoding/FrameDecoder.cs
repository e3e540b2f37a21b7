using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Pipeline.Events;

namespace Pipeline.Decoding;

/// <summary>
/// Turns one frame of a source's input into an event with the source's <c>decoding.codec</c>. One per running
/// source (it reuses its buffers, so it is not thread-safe). A frame that does not decode yields null and a reason
/// that names the codec and what was wrong; the source reports it as invalid input.
/// </summary>
/// <remarks>
/// logfmt and syslog write the fields as JSON into a reused buffer and parse that into the event: it costs a second
/// pass over a short line, and in exchange escaping, duplicate keys and invalid UTF-8 are handled by the one parser
/// every other event goes through. text appends its one member directly, as the file source does.
/// </remarks>
public sealed class FrameDecoder(DecodingCodec codec, TimeProvider time)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private Utf8JsonWriter? _writer;

    public FrameDecoder(DecodingCodec codec)
        : this(codec, TimeProvider.System)
    {
    }

    public DecodingCodec Codec => codec;

    /// <summary>The codec as <c>decoding.codec</c> spells it.</summary>
    public string CodecName => codec switch
    {
        DecodingCodec.Json => "json",
        DecodingCodec.Text => "text",
        DecodingCodec.Logfmt => "logfmt",
        _ => "syslog",
    };

    /// <summary>The event, or null with <paramref name="error"/> saying what was wrong (without the codec's name).</summary>
    public Event? Decode(ReadOnlySpan<byte> frame, out string? error)
    {
        error = null;
        switch (codec)
        {
            case DecodingCodec.Json:
                try
                {
                    return Event.Parse(frame);
                }
                catch (EventFormatException ex)
                {
                    error = ex.Message;
                    return null;
                }
            case DecodingCodec.Text:
                return DecodeText(frame);
            default:
                return DecodeToJson(frame, out error);
        }
    }

    private static Event DecodeText(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > 0 && frame[^1] == (byte)'\r')
        {
            frame = frame[..^1];
        }
        var evt = Event.CreateObject(frame.Length + 16, 1);
        evt.AppendString("message"u8, frame);
        return evt;
    }

    private Event? DecodeToJson(ReadOnlySpan<byte> frame, out string? error)
    {
        if (frame.Length > 0 && frame[^1] == (byte)'\r')
        {
            frame = frame[..^1];
        }
        // Utf8JsonWriter refuses invalid UTF-8; the replacement character keeps the rest of the line, as text does.
        byte[]? repaired = null;
        if (!Utf8.IsValid(frame))
        {
            repaired = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(frame));
            frame = repaired;
        }
        _json.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(_json, WriterOptions);
        writer.Reset(_json);
        writer.WriteStartObject();
        var ok = codec == DecodingCodec.Logfmt
            ? LogfmtReader.TryWrite(frame, writer, out error)
            : SyslogReader.TryWrite(frame, writer, time.GetUtcNow(), out error);
        if (!ok)
        {
            return null;
        }
        writer.WriteEndObject();
        writer.Flush();
        return Event.Parse(_json.WrittenSpan);
    }
}
