using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Events;

// Writing parts of an event as JSON for a sink that reshapes documents (the elasticsearch sink's ECS encoding):
// a value with its JSON type, and the top-level fields but a few, without building a second event.
public sealed partial class Event
{
    /// <summary>Writes <paramref name="value"/> as JSON (a string quoted and escaped); nothing when it is missing.</summary>
    internal static void WriteJson(EventValue value, IBufferWriter<byte> destination)
    {
        if (value.Owner is { } owner)
        {
            EventJsonWriter.Write(owner.Nodes, owner.Arena, value.Index, destination);
        }
    }

    /// <summary>
    /// Writes each top-level field whose key is none of <paramref name="skipped"/> as <c>"key":value</c>, separated by
    /// commas, preceded by one when <paramref name="commaFirst"/>; true when it wrote any. Does nothing for an event
    /// that is not an object.
    /// </summary>
    internal bool WriteTopLevelFieldsExcept(IBufferWriter<byte> destination, ReadOnlySpan<byte[]> skipped, bool commaFirst)
    {
        var nodes = Nodes;
        var arena = Arena;
        if (nodes[RootNode].ValueKind != EventValueKind.Object)
        {
            return false;
        }
        var wrote = false;
        for (var c = nodes[RootNode].FirstChild; c >= 0; c = nodes[c].Next)
        {
            var key = arena.AsSpan(nodes[c].KeyStart, nodes[c].KeyLength);
            if (IsAnyOf(key, skipped))
            {
                continue;
            }
            if (commaFirst || wrote)
            {
                destination.Write(","u8);
            }
            WriteKey(key, destination);
            EventJsonWriter.Write(nodes, arena, c, destination);
            wrote = true;
        }
        return wrote;
    }

    private static bool IsAnyOf(ReadOnlySpan<byte> key, ReadOnlySpan<byte[]> keys)
    {
        foreach (var candidate in keys)
        {
            if (key.SequenceEqual(candidate))
            {
                return true;
            }
        }
        return false;
    }

    private static void WriteKey(ReadOnlySpan<byte> key, IBufferWriter<byte> destination)
    {
        if (!EventJsonWriter.NeedsEscaping(key))
        {
            var span = destination.GetSpan(key.Length + 3);
            span[0] = (byte)'"';
            key.CopyTo(span[1..]);
            span[key.Length + 1] = (byte)'"';
            span[key.Length + 2] = (byte)':';
            destination.Advance(key.Length + 3);
            return;
        }
        // Rare (a key with a quote or a control character): the encoder's allocation is fine here.
        destination.Write("\""u8);
        destination.Write(JsonEncodedText.Encode(key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);
        destination.Write("\":"u8);
    }
}
