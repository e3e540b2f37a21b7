using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Pipeline.Events;

/// <summary>
/// A read-only view of one field of an <see cref="Event"/>. Valid until the event is next changed or released.
/// </summary>
/// <remarks>
/// A plain (not ref) struct of the owning event and a node index, because filters use it inside compiled
/// expression trees. Reads go straight to the event's arena: string comparisons and number parsing do not allocate.
/// </remarks>
public readonly partial struct EventValue
{
    private readonly Event? _owner;
    private readonly int _index;

    internal EventValue(Event owner, int index)
    {
        _owner = owner;
        _index = index;
    }

    public static EventValue Missing => default;

    /// <summary>The owning event, or null for a missing value.</summary>
    internal Event? Owner => _owner;

    internal int Index => _index;

    public EventValueKind Kind => _owner is null ? EventValueKind.Missing : Stored.ValueKind;

    public bool IsMissing => _owner is null;

    private ref readonly EventNode Stored => ref _owner!.Nodes[_index];

    public bool TryGetString(out string value)
    {
        if (TryGetUtf8(out var utf8))
        {
            value = Encoding.UTF8.GetString(utf8);
            return true;
        }
        value = "";
        return false;
    }

    /// <summary>The UTF-8 bytes of a string value (unescaped), pointing into the event's memory: no allocation.</summary>
    public bool TryGetUtf8(out ReadOnlySpan<byte> utf8)
    {
        if (_owner is not null)
        {
            ref readonly var node = ref Stored;
            if (node.ValueKind == EventValueKind.String)
            {
                utf8 = _owner.Arena.AsSpan(node.ValueStart, node.ValueLength);
                return true;
            }
        }
        utf8 = default;
        return false;
    }

    /// <summary>Ordinal comparison of a string value with UTF-8 bytes; false for non-strings.</summary>
    public bool Utf8Equals(ReadOnlySpan<byte> utf8) => TryGetUtf8(out var mine) && mine.SequenceEqual(utf8);

    /// <summary>Ordinal comparison of a string value; false for non-strings. Does not allocate.</summary>
    public bool StringEquals(string other)
    {
        if (!TryGetUtf8(out var mine))
        {
            return false;
        }
        // Every UTF-16 char becomes 1 to 3 UTF-8 bytes.
        if (mine.Length < other.Length || mine.Length > other.Length * 3)
        {
            return false;
        }
        // Equal lengths can only match when both sides are ASCII, which Ascii.Equals requires.
        return mine.Length == other.Length ? Ascii.Equals(mine, other) : TranscodedEquals(mine, other);
    }

    private static bool TranscodedEquals(ReadOnlySpan<byte> utf8, ReadOnlySpan<char> utf16)
    {
        Span<char> chunk = stackalloc char[128];
        while (!utf8.IsEmpty)
        {
            var status = Utf8.ToUtf16(utf8, chunk, out var read, out var written, replaceInvalidSequences: false);
            if (status == OperationStatus.InvalidData || written > utf16.Length || !chunk[..written].SequenceEqual(utf16[..written]))
            {
                return false;
            }
            utf8 = utf8[read..];
            utf16 = utf16[written..];
        }
        return utf16.IsEmpty;
    }

    public bool TryGetDouble(out double value)
    {
        if (TryGetNumberText(out var text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value))
        {
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>Integral numbers, including integral values written with a fraction or exponent (1.0, 1e3).</summary>
    public bool TryGetInt64(out long value)
    {
        if (!TryGetNumberText(out var text))
        {
            value = 0;
            return false;
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && d == Math.Floor(d) && d >= long.MinValue && d < 9.2233720368547758E+18)
        {
            value = (long)d;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>A number's JSON text as it was parsed or written (so 3 and 3.0 stay apart), pointing into the event's memory.</summary>
    public bool TryGetNumberText(out ReadOnlySpan<byte> text)
    {
        if (_owner is not null)
        {
            ref readonly var node = ref Stored;
            if (node.ValueKind == EventValueKind.Number)
            {
                text = _owner.Arena.AsSpan(node.ValueStart, node.ValueLength);
                return true;
            }
        }
        text = default;
        return false;
    }

    public bool TryGetBoolean(out bool value)
    {
        if (_owner is not null && Stored.ValueKind == EventValueKind.Boolean)
        {
            value = Stored.ValueStart != 0;
            return true;
        }
        value = false;
        return false;
    }

    /// <summary>Number of elements of an array or properties of an object; 0 otherwise.</summary>
    public int Count => _owner is not null && Stored.IsContainer ? Stored.Count : 0;

    /// <summary>The value as JSON text ("missing" values give an empty string).</summary>
    public string ToJson() => _owner is null ? "" : _owner.ToJsonString(_index);

    /// <summary>Writes the value's bytes for hashing and templating: a string's UTF-8 content, anything else as JSON.</summary>
    public void WriteUtf8(IBufferWriter<byte> destination)
    {
        if (_owner is null)
        {
            return;
        }
        if (TryGetUtf8(out var utf8))
        {
            destination.Write(utf8);
            return;
        }
        EventJsonWriter.Write(_owner.Nodes, _owner.Arena, _index, destination);
    }

    /// <summary>A string's content, or the JSON text of any other value; empty when missing.</summary>
    public override string ToString() => TryGetString(out var s) ? s : ToJson();
}
