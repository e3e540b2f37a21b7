using System.Buffers;
using System.Text;

namespace Pipeline.Events;

// Serialization entry points. All of them go through EventJsonWriter, so an event has one JSON form wherever it
// is written: sinks, dead-letter records, ToString and EventValue.ToJson.
public sealed partial class Event
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>Writes the event as compact JSON, unescaped text kept as UTF-8 (only quote, backslash and control
    /// characters are escaped).</summary>
    /// <remarks>An event unchanged since it was parsed from compact JSON is its input text: that is copied.</remarks>
    public void WriteTo(IBufferWriter<byte> destination)
    {
        var nodes = Nodes;
        if (_pristineLength > 0)
        {
            destination.Write(_arena.AsSpan(_pristineStart, _pristineLength));
            return;
        }
        EventJsonWriter.Write(nodes, _arena!, RootNode, destination);
    }

    /// <summary>
    /// Writes one value of an event as JSON (a string quoted and escaped), for a sink that reshapes documents (the
    /// elasticsearch sink's ECS); nothing when it is missing.
    /// </summary>
    internal static void WriteJson(EventValue value, IBufferWriter<byte> destination)
    {
        if (value.Owner is { } owner)
        {
            EventJsonWriter.Write(owner.Nodes, owner.Arena, value.Index, destination);
        }
    }

    /// <summary>True while <see cref="WriteTo"/> copies the parsed input instead of serializing (tests).</summary>
    internal bool IsPristine => _pristineLength > 0;

    public override string ToString() => ToJsonString(RootNode);

    public byte[] ToUtf8Json()
    {
        var scratch = RentScratch();
        EventJsonWriter.Write(Nodes, _arena!, RootNode, scratch);
        var bytes = scratch.WrittenSpan.ToArray();
        ReturnScratch(scratch);
        return bytes;
    }

    internal string ToJsonString(int node)
    {
        var scratch = RentScratch();
        EventJsonWriter.Write(Nodes, _arena!, node, scratch);
        var text = Encoding.UTF8.GetString(scratch.WrittenSpan);
        ReturnScratch(scratch);
        return text;
    }

    private static ArrayBufferWriter<byte> RentScratch()
    {
        var scratch = t_scratch ?? new ArrayBufferWriter<byte>(1024);
        t_scratch = null;
        scratch.ResetWrittenCount();
        return scratch;
    }

    // Taken out while in use so that a nested call cannot share it; not kept once a huge event has grown it.
    private static void ReturnScratch(ArrayBufferWriter<byte> scratch)
    {
        if (scratch.Capacity <= 1 << 20)
        {
            t_scratch = scratch;
        }
    }
}
