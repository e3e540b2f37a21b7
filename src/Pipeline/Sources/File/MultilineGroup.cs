using System.Diagnostics;

namespace Pipeline.Sources.File;

/// <summary>
/// A multi-line message being gathered (a stack trace): the first line's offset, container time and stream, and the
/// text so far, joined by newlines and cut at the size limit. The buffer is reused from message to message.
/// </summary>
internal sealed class MultilineGroup(int maxBytes)
{
    private byte[] _text = new byte[1024];
    private byte[] _timestamp = new byte[64];
    private byte[] _stream = new byte[16];

    public bool HasContent { get; private set; }

    public long Offset { get; private set; }

    public int Length { get; private set; }

    public int TimestampLength { get; private set; }

    public int StreamLength { get; private set; }

    public bool Truncated { get; private set; }

    /// <summary>When the last line was added (Stopwatch ticks), for the timeout.</summary>
    public long LastAppend { get; private set; }

    public ReadOnlySpan<byte> Text => _text.AsSpan(0, Length);

    public ReadOnlySpan<byte> Timestamp => _timestamp.AsSpan(0, TimestampLength);

    public ReadOnlySpan<byte> Stream => _stream.AsSpan(0, StreamLength);

    public void Start(long offset, ReadOnlySpan<byte> line, ReadOnlySpan<byte> timestamp, ReadOnlySpan<byte> stream, bool truncated)
    {
        HasContent = true;
        Offset = offset;
        Length = 0;
        Truncated = truncated;
        TimestampLength = Copy(ref _timestamp, timestamp);
        StreamLength = Copy(ref _stream, stream);
        AppendText(line);
    }

    public void Append(ReadOnlySpan<byte> line, bool truncated)
    {
        Truncated |= truncated;
        AppendText("\n"u8);
        AppendText(line);
    }

    public void Clear()
    {
        HasContent = false;
        Length = 0;
        Truncated = false;
    }

    private void AppendText(ReadOnlySpan<byte> bytes)
    {
        LastAppend = Stopwatch.GetTimestamp();
        var room = maxBytes - Length;
        if (bytes.Length > room)
        {
            bytes = bytes[..Math.Max(0, room)];
            Truncated = true;
        }
        if (_text.Length < Length + bytes.Length)
        {
            Array.Resize(ref _text, Math.Max(Length + bytes.Length, _text.Length * 2));
        }
        bytes.CopyTo(_text.AsSpan(Length));
        Length += bytes.Length;
    }

    private static int Copy(ref byte[] target, ReadOnlySpan<byte> bytes)
    {
        if (target.Length < bytes.Length)
        {
            target = new byte[bytes.Length];
        }
        bytes.CopyTo(target);
        return bytes.Length;
    }
}
