using System.Buffers;
using System.Text.Json;
using Pipeline.Events;

namespace Pipeline.Sinks;

/// <summary>
/// Serializes events as JSON lines into one reusable buffer, so a sink writes a whole batch with one call to its
/// stream instead of one per event. One instance per sink isolate; not thread-safe.
/// </summary>
internal sealed class JsonLinesBuffer
{
    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly Utf8JsonWriter _writer;

    public JsonLinesBuffer(int initialCapacity = 64 * 1024)
    {
        _buffer = new ArrayBufferWriter<byte>(initialCapacity);
        // Validation is the event model's job; skipping it here saves a state machine check per token.
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    public int Length => _buffer.WrittenCount;

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    /// <summary>Appends the event and a newline; returns the length of the line, newline included.</summary>
    public int Append(Event evt)
    {
        var before = _buffer.WrittenCount;
        evt.WriteTo(_writer);
        _writer.Flush();
        // Reset lets the same writer start the next top-level value; it keeps the buffer it writes to.
        _writer.Reset();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        return _buffer.WrittenCount - before;
    }

    public void Clear() => _buffer.ResetWrittenCount();
}
