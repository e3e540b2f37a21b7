using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Pipeline.Events;

// Serialization: the event as JSON, through EventJsonWriter or a caller's Utf8JsonWriter.
public sealed partial class Event
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    public void WriteTo(Utf8JsonWriter writer) => WriteValue(writer, RootNode);

    /// <summary>Writes the event as compact JSON, unescaped text kept as UTF-8 (only quote, backslash and control
    /// characters are escaped).</summary>
    public void WriteTo(IBufferWriter<byte> destination) => EventJsonWriter.Write(Nodes, _arena!, RootNode, destination);

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

    internal void WriteValue(Utf8JsonWriter writer, int top)
    {
        var nodes = Nodes;
        var arena = _arena!;
        var n = top;
        while (true)
        {
            ref readonly var node = ref nodes[n];
            if (n != top && node.KeyStart >= 0)
            {
                writer.WritePropertyName(arena.AsSpan(node.KeyStart, node.KeyLength));
            }
            switch (node.ValueKind)
            {
                case EventValueKind.Object:
                case EventValueKind.Array:
                    if (node.ValueKind == EventValueKind.Object)
                    {
                        writer.WriteStartObject();
                    }
                    else
                    {
                        writer.WriteStartArray();
                    }
                    if (node.FirstChild >= 0)
                    {
                        n = node.FirstChild;
                        continue;
                    }
                    WriteEnd(writer, node.ValueKind);
                    break;
                case EventValueKind.String:
                    writer.WriteStringValue(arena.AsSpan(node.ValueStart, node.ValueLength));
                    break;
                case EventValueKind.Number:
                    // Raw text keeps big integers and exact decimals as they arrived.
                    writer.WriteRawValue(arena.AsSpan(node.ValueStart, node.ValueLength), skipInputValidation: true);
                    break;
                case EventValueKind.Boolean:
                    writer.WriteBooleanValue(node.ValueStart != 0);
                    break;
                default:
                    writer.WriteNullValue();
                    break;
            }
            while (true)
            {
                if (n == top)
                {
                    return;
                }
                ref readonly var done = ref nodes[n];
                if (done.Next >= 0)
                {
                    n = done.Next;
                    break;
                }
                n = done.Parent;
                WriteEnd(writer, nodes[n].ValueKind);
            }
        }
    }

    private static void WriteEnd(Utf8JsonWriter writer, EventValueKind kind)
    {
        if (kind == EventValueKind.Object)
        {
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteEndArray();
        }
    }
}
