using System.Buffers;

namespace Pipeline.Events;

/// <summary>
/// Writes an event's nodes as compact JSON: the only code that serializes an event, so a sink, a dead-letter record
/// and <see cref="Event.ToString"/> all hold the same bytes.
/// </summary>
/// <remarks>
/// Hand-written rather than Utf8JsonWriter because keys and strings are stored unescaped and already validated, so
/// writing is a copy plus escaping of quote, backslash and control characters. Utf8JsonWriter (even with
/// UnsafeRelaxedJsonEscaping) re-validates every string and escapes characters outside the BMP as \uXXXX pairs, so
/// events would not round-trip byte for byte; it also costs an allocation or a cached instance per call.
/// Measured on the ~200-byte log event of EventBenchmarks (interleaved runs, best of 30): 81 ns to serialize here
/// against 177 ns through a reused Utf8JsonWriter.
/// Traversal is iterative over parent links, so nesting added by mutations cannot overflow the stack.
/// </remarks>
internal ref struct EventJsonWriter
{
    private const int MinimumChunk = 256;

    // JSON requires escaping of '"', '\' and U+0000..U+001F; everything else is copied as stored UTF-8.
    private static readonly SearchValues<byte> BytesToEscape = SearchValues.Create(
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
        29, 30, 31, (byte)'"', (byte)'\\',
    ]);

    private readonly IBufferWriter<byte> _destination;
    private Span<byte> _buffer;
    private int _position;

    private EventJsonWriter(IBufferWriter<byte> destination, int sizeHint)
    {
        _destination = destination;
        _buffer = destination.GetSpan(Math.Max(sizeHint, MinimumChunk));
        _position = 0;
    }

    /// <summary>Writes the value of node <paramref name="top"/> (without its key) and its descendants.</summary>
    public static void Write(EventNode[] nodes, byte[] arena, int top, IBufferWriter<byte> destination)
    {
        var writer = new EventJsonWriter(destination, nodes[top].IsContainer ? nodes[top].ValueLength + 32 : 0);
        writer.WriteTree(nodes, arena, top);
        writer._destination.Advance(writer._position);
    }

    private void WriteTree(EventNode[] nodes, byte[] arena, int top)
    {
        var n = top;
        while (true)
        {
            ref readonly var node = ref nodes[n];
            if (n != top && node.KeyStart >= 0)
            {
                WriteString(arena.AsSpan(node.KeyStart, node.KeyLength), (node.Flags & EventNode.KeyNeedsEscaping) != 0);
                WriteByte((byte)':');
            }
            switch (node.ValueKind)
            {
                case EventValueKind.Object:
                case EventValueKind.Array:
                    var isObject = node.ValueKind == EventValueKind.Object;
                    if (node.FirstChild >= 0)
                    {
                        WriteByte(isObject ? (byte)'{' : (byte)'[');
                        n = node.FirstChild;
                        continue;
                    }
                    WriteRaw(isObject ? "{}"u8 : "[]"u8);
                    break;
                case EventValueKind.String:
                    WriteString(arena.AsSpan(node.ValueStart, node.ValueLength), (node.Flags & EventNode.ValueNeedsEscaping) != 0);
                    break;
                case EventValueKind.Number:
                    WriteRaw(arena.AsSpan(node.ValueStart, node.ValueLength));
                    break;
                case EventValueKind.Boolean:
                    WriteRaw(node.ValueStart != 0 ? "true"u8 : "false"u8);
                    break;
                default:
                    WriteRaw("null"u8);
                    break;
            }

            // Climb until a node with a next sibling, closing every container finished on the way.
            while (true)
            {
                if (n == top)
                {
                    return;
                }
                ref readonly var done = ref nodes[n];
                if (done.Next >= 0)
                {
                    WriteByte((byte)',');
                    n = done.Next;
                    break;
                }
                n = done.Parent;
                WriteByte(nodes[n].ValueKind == EventValueKind.Object ? (byte)'}' : (byte)']');
            }
        }
    }

    private void WriteByte(byte value)
    {
        if (_position == _buffer.Length)
        {
            Refill(1);
        }
        _buffer[_position++] = value;
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _position < bytes.Length)
        {
            Refill(bytes.Length);
        }
        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    private void WriteString(ReadOnlySpan<byte> utf8, bool mayNeedEscaping)
    {
        if (!mayNeedEscaping)
        {
            if (_buffer.Length - _position < utf8.Length + 2)
            {
                Refill(utf8.Length + 2);
            }
            _buffer[_position++] = (byte)'"';
            utf8.CopyTo(_buffer[_position..]);
            _position += utf8.Length;
            _buffer[_position++] = (byte)'"';
            return;
        }
        WriteByte((byte)'"');
        while (true)
        {
            var next = utf8.IndexOfAny(BytesToEscape);
            if (next < 0)
            {
                WriteRaw(utf8);
                break;
            }
            WriteRaw(utf8[..next]);
            WriteEscaped(utf8[next]);
            utf8 = utf8[(next + 1)..];
        }
        WriteByte((byte)'"');
    }

    private void WriteEscaped(byte value)
    {
        switch (value)
        {
            case (byte)'"': WriteRaw("\\\""u8); break;
            case (byte)'\\': WriteRaw("\\\\"u8); break;
            case (byte)'\n': WriteRaw("\\n"u8); break;
            case (byte)'\r': WriteRaw("\\r"u8); break;
            case (byte)'\t': WriteRaw("\\t"u8); break;
            case (byte)'\b': WriteRaw("\\b"u8); break;
            case (byte)'\f': WriteRaw("\\f"u8); break;
            default:
                WriteRaw("\\u00"u8);
                WriteByte(HexDigit(value >> 4));
                WriteByte(HexDigit(value & 0xF));
                break;
        }
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'A' + value - 10);

    private void Refill(int needed)
    {
        _destination.Advance(_position);
        _buffer = _destination.GetSpan(Math.Max(needed, MinimumChunk));
        _position = 0;
    }

    /// <summary>True when a string must be scanned for escaping on output.</summary>
    public static bool NeedsEscaping(ReadOnlySpan<byte> utf8) => utf8.ContainsAny(BytesToEscape);
}
