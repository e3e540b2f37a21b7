namespace Pipeline.Decoding;

/// <summary>
/// One decoded logical line. The spans point into the decoder's buffers or into the physical line given to it, so
/// they stay valid until the next <see cref="ContainerLogDecoder.Decode"/> or
/// <see cref="ContainerLogDecoder.TryFlush"/> call on the same decoder (and while that physical line is unchanged).
/// </summary>
public readonly ref struct ContainerLogLine
{
    public ContainerLogLine(ReadOnlySpan<byte> timestamp, ReadOnlySpan<byte> stream, ReadOnlySpan<byte> message, bool truncated)
    {
        Timestamp = timestamp;
        Stream = stream;
        Message = message;
        Truncated = truncated;
    }

    /// <summary>The runtime's time as written (RFC 3339 with nanoseconds); for a merged line, its first piece's.</summary>
    public ReadOnlySpan<byte> Timestamp { get; }

    /// <summary><c>stdout</c> or <c>stderr</c>.</summary>
    public ReadOnlySpan<byte> Stream { get; }

    /// <summary>The log text: UTF-8, unescaped, without the trailing newline.</summary>
    public ReadOnlySpan<byte> Message { get; }

    /// <summary>The message was longer than the decoder's maximum and was cut to it.</summary>
    public bool Truncated { get; }
}
