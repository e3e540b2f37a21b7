namespace Pipeline.Decoding;

// The CRI log format of containerd and CRI-O, as kubelet reads it (pkg/kubelet/kuberuntime/logs, parseCRILog):
// "<RFC 3339 time> <stream> <tags> <log>", where tags is ':'-separated and its first tag is P (partial) or F (full).
public sealed partial class ContainerLogDecoder
{
    private const string CriShape = "not a CRI line: expected '<time> <stream> <P|F> <log>'";

    private ContainerLineStatus DecodeCri(ReadOnlySpan<byte> physicalLine, out ContainerLogLine line, out string? error)
    {
        var rest = physicalLine;
        var timeEnd = rest.IndexOf((byte)' ');
        if (timeEnd < 0)
        {
            return Invalid($"{CriShape}, found no space in '{Show(physicalLine)}'", out line, out error);
        }
        var timestamp = rest[..timeEnd];
        if (!IsRfc3339(timestamp))
        {
            return Invalid($"{CriShape}, found the time '{Show(timestamp)}' (expected RFC 3339 such as 2024-05-01T10:00:00.123456789Z)", out line, out error);
        }
        rest = rest[(timeEnd + 1)..];

        var streamEnd = rest.IndexOf((byte)' ');
        if (streamEnd < 0)
        {
            return Invalid($"{CriShape}, found nothing after the stream '{Show(rest)}'", out line, out error);
        }
        var pending = PendingFor(rest[..streamEnd], out var stream);
        if (pending is null)
        {
            return Invalid($"{CriShape}, found the stream '{Show(rest[..streamEnd])}' (expected stdout or stderr)", out line, out error);
        }
        rest = rest[(streamEnd + 1)..];

        // The log may be empty; a writer may then leave out the space after the tags as well.
        var tagsEnd = rest.IndexOf((byte)' ');
        var tags = tagsEnd < 0 ? rest : rest[..tagsEnd];
        var message = tagsEnd < 0 ? default : rest[(tagsEnd + 1)..];
        var colon = tags.IndexOf((byte)':');
        var tag = colon < 0 ? tags : tags[..colon];
        bool final;
        if (tag.SequenceEqual("F"u8))
        {
            final = true;
        }
        else if (tag.SequenceEqual("P"u8))
        {
            final = false;
        }
        else
        {
            return Invalid($"{CriShape}, found the tag '{Show(tags)}' (expected P for a partial line or F for a full one)", out line, out error);
        }

        error = null;
        return Accept(pending, stream, timestamp, message, final, out line);
    }

    /// <summary>Checks the shape of an RFC 3339 time (yyyy-mm-ddThh:mm:ss[.fraction](Z|±hh:mm)) without parsing
    /// it: .NET's parsers stop at 7 fractional digits and the runtimes write 9.</summary>
    private static bool IsRfc3339(ReadOnlySpan<byte> time)
    {
        if (time.Length < 20
            || !Digits(time, 0, 4) || time[4] != '-' || !Digits(time, 5, 2) || time[7] != '-' || !Digits(time, 8, 2)
            || (time[10] | 0x20) != 't'
            || !Digits(time, 11, 2) || time[13] != ':' || !Digits(time, 14, 2) || time[16] != ':' || !Digits(time, 17, 2))
        {
            return false;
        }
        var i = 19;
        if (time[i] == '.')
        {
            var fractionStart = ++i;
            while (i < time.Length && char.IsAsciiDigit((char)time[i]))
            {
                i++;
            }
            if (i == fractionStart)
            {
                return false;
            }
        }
        var zone = time[i..];
        return zone.Length == 1
            ? (zone[0] | 0x20) == 'z'
            : zone.Length == 6 && zone[0] is (byte)'+' or (byte)'-' && Digits(zone, 1, 2) && zone[3] == ':' && Digits(zone, 4, 2);
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count)
    {
        foreach (var b in text.Slice(start, count))
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }
        }
        return true;
    }
}
