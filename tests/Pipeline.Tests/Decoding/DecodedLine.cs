using System.Text;
using Pipeline.Decoding;

namespace Pipeline.Tests.Decoding;

/// <summary>What one Decode or TryFlush call returned, copied out of the decoder's spans as text.</summary>
internal sealed record DecodedLine(ContainerLineStatus Status, string Timestamp, string Stream, string Message, bool Truncated, string? Error)
{
    public static DecodedLine Decode(ContainerLogDecoder decoder, string physicalLine) => Decode(decoder, Encoding.UTF8.GetBytes(physicalLine));

    public static DecodedLine Decode(ContainerLogDecoder decoder, byte[] physicalLine)
    {
        var status = decoder.Decode(physicalLine, out var line, out var error);
        return From(status, line, error);
    }

    /// <summary>Decodes each line and keeps what completed.</summary>
    public static List<DecodedLine> DecodeAll(ContainerLogDecoder decoder, params string[] physicalLines)
        => [.. physicalLines.Select(l => Decode(decoder, l)).Where(d => d.Status == ContainerLineStatus.Complete)];

    public static DecodedLine? Flush(ContainerLogDecoder decoder)
        => decoder.TryFlush(out var line) ? From(ContainerLineStatus.Complete, line, null) : null;

    private static DecodedLine From(ContainerLineStatus status, ContainerLogLine line, string? error)
        => new(status, Encoding.UTF8.GetString(line.Timestamp), Encoding.UTF8.GetString(line.Stream), Encoding.UTF8.GetString(line.Message), line.Truncated, error);
}
