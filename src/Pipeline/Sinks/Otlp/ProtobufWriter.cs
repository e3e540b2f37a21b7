using System.Buffers.Binary;

namespace Pipeline.Sinks.Otlp;

/// <summary>
/// Writes protobuf's wire format into one growable buffer, reused batch after batch: the otlp sink encodes an
/// ExportLogsServiceRequest straight from the events' memory instead of building Google.Protobuf message objects
/// (a LogRecord, and a KeyValue, an AnyValue and a string per attribute, for every event).
/// </summary>
/// <remarks>
/// A nested message's length is not known before it is written, so <see cref="BeginMessage"/> reserves four bytes and
/// <see cref="EndMessage"/> fills them with the length as a varint padded to four bytes. Parsers accept a varint with
/// redundant continuation bytes; OpenTelemetry .NET's own OTLP serializer writes lengths the same way. Four bytes hold
/// lengths below 256 MiB, far above what a receiver takes in one request (the Collector's default is 4 MiB for gRPC).
/// </remarks>
internal sealed class ProtobufWriter
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private const int ReservedLengthBytes = 4;
    private const int MaxReservedLength = (1 << 28) - 1;

    private byte[] _buffer = new byte[16 * 1024];
    private int _position;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _position);

    public int Length => _position;

    public void Reset() => _position = 0;

    public void Tag(int field, int wireType) => Varint((uint)(field << 3 | wireType));

    public void Varint(ulong value)
    {
        var span = Room(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _position += i;
    }

    public void VarintField(int field, ulong value)
    {
        Tag(field, WireVarint);
        Varint(value);
    }

    public void Int64Field(int field, long value) => VarintField(field, unchecked((ulong)value));

    public void BoolField(int field, bool value) => VarintField(field, value ? 1UL : 0UL);

    public void Fixed64Field(int field, ulong value)
    {
        Tag(field, WireFixed64);
        BinaryPrimitives.WriteUInt64LittleEndian(Room(8), value);
        _position += 8;
    }

    public void DoubleField(int field, double value) => Fixed64Field(field, BitConverter.DoubleToUInt64Bits(value));

    public void Fixed32Field(int field, uint value)
    {
        Tag(field, WireFixed32);
        BinaryPrimitives.WriteUInt32LittleEndian(Room(4), value);
        _position += 4;
    }

    /// <summary>A string (its UTF-8 bytes) or bytes field.</summary>
    public void BytesField(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        Varint((uint)value.Length);
        value.CopyTo(Room(value.Length));
        _position += value.Length;
    }

    /// <summary>Opens a nested message; pass the result to <see cref="EndMessage"/> once its fields are written.</summary>
    public int BeginMessage(int field)
    {
        Tag(field, WireLengthDelimited);
        Room(ReservedLengthBytes);
        var reserved = _position;
        _position += ReservedLengthBytes;
        return reserved;
    }

    public void EndMessage(int reserved)
    {
        var length = _position - reserved - ReservedLengthBytes;
        if (length > MaxReservedLength)
        {
            throw new InvalidOperationException($"an OTLP message of {length} bytes is over the 256 MiB this writer encodes; lower the sink's batch_size");
        }
        var span = _buffer.AsSpan(reserved, ReservedLengthBytes);
        span[0] = (byte)(length | 0x80);
        span[1] = (byte)(length >> 7 | 0x80);
        span[2] = (byte)(length >> 14 | 0x80);
        span[3] = (byte)(length >> 21);
    }

    private Span<byte> Room(int bytes)
    {
        if (_position + bytes > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_position + bytes, _buffer.Length * 2));
        }
        return _buffer.AsSpan(_position);
    }
}
