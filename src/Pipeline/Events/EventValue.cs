using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Events;

/// <summary>
/// A read-only view of one field of an <see cref="Event"/>. Valid until the event is next changed.
/// </summary>
public readonly struct EventValue
{
    private readonly JsonNode? _node;
    private readonly bool _missing;

    internal EventValue((JsonNode? Node, bool Missing) found)
    {
        _node = found.Node;
        _missing = found.Missing;
    }

    public static EventValue Missing => new((null, true));

    internal JsonNode? Node => _node;

    public EventValueKind Kind
    {
        get
        {
            if (_missing)
            {
                return EventValueKind.Missing;
            }
            return _node switch
            {
                null => EventValueKind.Null,
                JsonObject => EventValueKind.Object,
                JsonArray => EventValueKind.Array,
                JsonValue v => v.GetValueKind() switch
                {
                    JsonValueKind.String => EventValueKind.String,
                    JsonValueKind.Number => EventValueKind.Number,
                    JsonValueKind.True or JsonValueKind.False => EventValueKind.Boolean,
                    _ => EventValueKind.Null,
                },
                _ => EventValueKind.Null,
            };
        }
    }

    public bool IsMissing => _missing;

    public bool TryGetString(out string value)
    {
        if (Kind == EventValueKind.String)
        {
            value = _node!.GetValue<string>();
            return true;
        }
        value = "";
        return false;
    }

    /// <summary>The UTF-8 bytes of a string value, without allocating where the store allows it.</summary>
    public bool TryGetUtf8(out ReadOnlySpan<byte> utf8)
    {
        if (TryGetString(out var s))
        {
            utf8 = Encoding.UTF8.GetBytes(s);
            return true;
        }
        utf8 = default;
        return false;
    }

    /// <summary>Ordinal comparison of a string value with UTF-8 bytes; false for non-strings.</summary>
    public bool Utf8Equals(ReadOnlySpan<byte> utf8) => TryGetUtf8(out var mine) && mine.SequenceEqual(utf8);

    /// <summary>Ordinal comparison of a string value; false for non-strings.</summary>
    public bool StringEquals(string other) => TryGetString(out var s) && s == other;

    public bool TryGetDouble(out double value)
    {
        if (Kind == EventValueKind.Number)
        {
            value = ((JsonValue)_node!).GetValue<double>();
            return true;
        }
        value = 0;
        return false;
    }

    public bool TryGetInt64(out long value)
    {
        if (Kind == EventValueKind.Number && ((JsonValue)_node!).TryGetValue(out long l))
        {
            value = l;
            return true;
        }
        if (Kind == EventValueKind.Number && ((JsonValue)_node!).GetValue<double>() is var d && d == Math.Floor(d) && d is >= long.MinValue and <= long.MaxValue)
        {
            value = (long)d;
            return true;
        }
        value = 0;
        return false;
    }

    public bool TryGetBoolean(out bool value)
    {
        if (Kind == EventValueKind.Boolean)
        {
            value = _node!.GetValue<bool>();
            return true;
        }
        value = false;
        return false;
    }

    /// <summary>Number of elements of an array or properties of an object; 0 otherwise.</summary>
    public int Count => _node switch
    {
        JsonArray a => a.Count,
        JsonObject o => o.Count,
        _ => 0,
    };

    /// <summary>The value as JSON text ("missing" values give an empty string).</summary>
    public string ToJson() => _missing ? "" : _node?.ToJsonString() ?? "null";

    /// <summary>Writes the value's bytes for hashing and templating: a string's UTF-8 content, anything else as JSON.</summary>
    public void WriteUtf8(System.Buffers.IBufferWriter<byte> destination)
    {
        if (_missing)
        {
            return;
        }
        if (TryGetString(out var s))
        {
            Encoding.UTF8.GetBytes(s, destination);
            return;
        }
        using var writer = new Utf8JsonWriter(destination);
        if (_node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            _node.WriteTo(writer);
        }
    }

    /// <summary>A string's content, or the JSON text of any other value; empty when missing.</summary>
    public override string ToString() => TryGetString(out var s) ? s : ToJson();
}
