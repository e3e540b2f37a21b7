using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Isolates.Buffers;

/// <summary>
/// One event in a disk buffer segment: a frame (magic, payload length, CRC-32 of the payload) around the envelope's
/// trace context, times and source id, and the event as JSON. Little-endian throughout.
/// </summary>
/// <remarks>
/// <code>
/// frame   : u32 magic "PLB1" | u32 payload length | u32 CRC-32 (IEEE) of the payload | payload
/// payload : u8 version (1) | u8 flags (1 trace context, 2 sampled, 4 new trace id)
///           | [16 trace id | 8 span id] | [16 new trace id] | i64 ingest time | i64 written time (µs since the Unix epoch)
///           | u16 length + source id (UTF-8) | u16 length + tracestate (UTF-8) | the event's JSON
/// </code>
/// The magic lets a reader find the next record after a damaged one; the checksum tells a damaged or half-written
/// record from a good one, so neither is ever delivered.
/// </remarks>
internal static class BufferRecord
{
    public const uint Magic = 0x31424C50;
    public const int FrameHeaderLength = 12;

    /// <summary>A larger length field is damage, not a record: events are bounded well below it (max_body, max_line_bytes).</summary>
    public const int MaxPayloadLength = 256 * 1024 * 1024;

    private const byte Version = 1;
    private const byte HasTraceContext = 1;
    private const byte Sampled = 2;
    private const byte HasNewTraceId = 4;

    /// <summary>Appends the framed record of <paramref name="envelope"/> to <paramref name="destination"/>.</summary>
    public static void Write(ArrayBufferWriter<byte> destination, in Envelope envelope, long ingestMicros, long writtenMicros)
    {
        var context = envelope.TraceContext;
        var sourceId = envelope.SourceId;
        var traceState = context.TraceState ?? "";
        var fixedLength = 2 + (context.TraceId != default ? 24 : 0) + (envelope.NewTraceId.IsEmpty ? 0 : 16) + 16
            + 2 + Encoding.UTF8.GetByteCount(sourceId) + 2 + Encoding.UTF8.GetByteCount(traceState);
        var head = destination.GetSpan(FrameHeaderLength + fixedLength);
        var payload = head[FrameHeaderLength..];
        var flags = (byte)((context.TraceId != default ? HasTraceContext : 0)
            | ((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? Sampled : 0)
            | (envelope.NewTraceId.IsEmpty ? 0 : HasNewTraceId));
        payload[0] = Version;
        payload[1] = flags;
        var at = 2;
        if (context.TraceId != default)
        {
            context.TraceId.CopyTo(payload.Slice(at, 16));
            context.SpanId.CopyTo(payload.Slice(at + 16, 8));
            at += 24;
        }
        if (!envelope.NewTraceId.IsEmpty)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(payload[at..], envelope.NewTraceId.High);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[(at + 8)..], envelope.NewTraceId.Low);
            at += 16;
        }
        BinaryPrimitives.WriteInt64LittleEndian(payload[at..], ingestMicros);
        BinaryPrimitives.WriteInt64LittleEndian(payload[(at + 8)..], writtenMicros);
        at += 16;
        at += WriteShortString(payload[at..], sourceId);
        at += WriteShortString(payload[at..], traceState);
        Debug.Assert(at == fixedLength, "the fixed part's length was computed wrong");
        destination.Advance(FrameHeaderLength + fixedLength);

        // The event's JSON follows; the frame header is filled in once its length and checksum are known.
        var before = destination.WrittenCount;
        envelope.Event.WriteTo(destination);
        var written = destination.WrittenCount;
        var frameStart = before - FrameHeaderLength - fixedLength;
        var payloadLength = written - frameStart - FrameHeaderLength;
        var frame = MemoryMarshal.AsMemory(destination.WrittenMemory).Span[frameStart..];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[8..], Crc32.HashToUInt32(frame.Slice(FrameHeaderLength, payloadLength)));
    }

    /// <summary>Checks the frame at the start of <paramref name="data"/> without decoding it.</summary>
    /// <param name="frameLength">The whole frame's length when it is <see cref="FrameStatus.Valid"/>.</param>
    public static FrameStatus Check(ReadOnlySpan<byte> data, out int frameLength)
    {
        frameLength = 0;
        if (data.Length < FrameHeaderLength)
        {
            return FrameStatus.Incomplete;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
        {
            return FrameStatus.BadFraming;
        }
        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        if (payloadLength is < 2 + 16 + 4 or > MaxPayloadLength)
        {
            return FrameStatus.BadFraming;
        }
        if (data.Length - FrameHeaderLength < payloadLength)
        {
            return FrameStatus.Incomplete;
        }
        var payload = data.Slice(FrameHeaderLength, payloadLength);
        if (Crc32.HashToUInt32(payload) != BinaryPrimitives.ReadUInt32LittleEndian(data[8..]) || payload[0] != Version)
        {
            return FrameStatus.BadChecksum;
        }
        frameLength = FrameHeaderLength + payloadLength;
        return FrameStatus.Valid;
    }

    /// <summary>The length the frame at the start of <paramref name="data"/> claims, or -1 when its header is not a frame's.</summary>
    public static long ClaimedLength(ReadOnlySpan<byte> data)
    {
        if (data.Length < FrameHeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
        {
            return -1;
        }
        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        return payloadLength is < 0 or > MaxPayloadLength ? -1 : FrameHeaderLength + (long)payloadLength;
    }

    /// <summary>Decodes a frame that <see cref="Check"/> found valid. The event is parsed anew (it owns its memory).</summary>
    /// <param name="sourceIds">Source ids seen so far, so each is one string however many records name it.</param>
    /// <exception cref="EventFormatException">The JSON is not an event (only possible if it was written damaged and checksummed so).</exception>
    public static DecodedRecord Decode(ReadOnlySpan<byte> frame, List<string> sourceIds)
    {
        var payload = frame[FrameHeaderLength..];
        var flags = payload[1];
        var at = 2;
        ActivityContext context = default;
        var hasContext = (flags & HasTraceContext) != 0;
        ActivityTraceId traceId = default;
        ActivitySpanId spanId = default;
        if (hasContext)
        {
            traceId = ActivityTraceId.CreateFromBytes(payload.Slice(at, 16));
            spanId = ActivitySpanId.CreateFromBytes(payload.Slice(at + 16, 8));
            at += 24;
        }
        CompactTraceId newTraceId = default;
        if ((flags & HasNewTraceId) != 0)
        {
            newTraceId = new CompactTraceId(BinaryPrimitives.ReadUInt64LittleEndian(payload[at..]), BinaryPrimitives.ReadUInt64LittleEndian(payload[(at + 8)..]));
            at += 16;
        }
        var ingestMicros = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
        var writtenMicros = BinaryPrimitives.ReadInt64LittleEndian(payload[(at + 8)..]);
        at += 16;
        var sourceId = ReadShortString(payload, ref at, sourceIds);
        var traceStateLength = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
        var traceState = traceStateLength == 0 ? null : Encoding.UTF8.GetString(payload.Slice(at + 2, traceStateLength));
        at += 2 + traceStateLength;
        if (hasContext)
        {
            context = new ActivityContext(traceId, spanId, (flags & Sampled) != 0 ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, traceState, isRemote: true);
        }
        var evt = Event.Parse(payload[at..]);
        return new DecodedRecord(evt, context, newTraceId, ingestMicros, writtenMicros, sourceId);
    }

    private static int WriteShortString(Span<byte> destination, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, checked((ushort)length));
        return 2 + length;
    }

    private static string ReadShortString(ReadOnlySpan<byte> payload, ref int at, List<string> known)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
        var bytes = payload.Slice(at + 2, length);
        at += 2 + length;
        foreach (var candidate in known)
        {
            if (Encoding.UTF8.GetByteCount(candidate) == length && Utf8EqualsString(bytes, candidate))
            {
                return candidate;
            }
        }
        var text = Encoding.UTF8.GetString(bytes);
        if (known.Count < 64)
        {
            known.Add(text);
        }
        return text;
    }

    private static bool Utf8EqualsString(ReadOnlySpan<byte> utf8, string text)
    {
        Span<byte> encoded = stackalloc byte[256];
        return text.Length <= 128 && Encoding.UTF8.TryGetBytes(text, encoded, out var written)
            ? utf8.SequenceEqual(encoded[..written])
            : utf8.SequenceEqual(Encoding.UTF8.GetBytes(text));
    }
}

/// <summary>What <see cref="BufferRecord.Check"/> found at a position in a segment.</summary>
internal enum FrameStatus
{
    Valid,

    /// <summary>The data ends inside the frame: at a segment's end, a record half-written when the process died.</summary>
    Incomplete,

    /// <summary>No frame starts here: the magic or the length is wrong.</summary>
    BadFraming,

    /// <summary>A frame whose payload does not match its checksum.</summary>
    BadChecksum,
}

/// <summary>A record read back from a disk buffer.</summary>
internal readonly record struct DecodedRecord(
    Event Event, ActivityContext TraceContext, CompactTraceId NewTraceId, long IngestMicros, long WrittenMicros, string SourceId);
