namespace Pipeline.Sinks.Otlp;

/// <summary>
/// Reads the few small messages the otlp sink gets back (an export's partial_success, a google.rpc.Status with its
/// RetryInfo), field by field: their .proto files are not compiled into the service, and each answer is read once.
/// </summary>
/// <remarks>A malformed message ends the reading (<see cref="Next"/> returns false) rather than throwing: an answer's details only add to what the status already says.</remarks>
internal ref struct ProtobufReader(ReadOnlySpan<byte> message)
{
    private ReadOnlySpan<byte> _rest = message;

    public bool Next(out int field, out int wireType)
    {
        field = 0;
        wireType = 0;
        if (_rest.IsEmpty || !TryVarint(out var tag) || tag >> 3 is 0 or > int.MaxValue)
        {
            _rest = default;
            return false;
        }
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    public ulong Varint() => TryVarint(out var value) ? value : End();

    public ReadOnlySpan<byte> Bytes()
    {
        if (!TryVarint(out var length) || length > (ulong)_rest.Length)
        {
            _rest = default;
            return default;
        }
        var bytes = _rest[..(int)length];
        _rest = _rest[(int)length..];
        return bytes;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case ProtobufWriter.WireVarint:
                Varint();
                break;
            case ProtobufWriter.WireFixed64:
                _rest = _rest.Length >= 8 ? _rest[8..] : default;
                break;
            case ProtobufWriter.WireLengthDelimited:
                Bytes();
                break;
            case ProtobufWriter.WireFixed32:
                _rest = _rest.Length >= 4 ? _rest[4..] : default;
                break;
            default:
                _rest = default;
                break;
        }
    }

    private bool TryVarint(out ulong value)
    {
        value = 0;
        for (var i = 0; i < 10 && i < _rest.Length; i++)
        {
            value |= (ulong)(_rest[i] & 0x7F) << (7 * i);
            if (_rest[i] < 0x80)
            {
                _rest = _rest[(i + 1)..];
                return true;
            }
        }
        return false;
    }

    private ulong End()
    {
        _rest = default;
        return 0;
    }
}
