namespace Pipeline.Sinks.Otlp;

/// <summary>
/// RFC 3339 timestamps (<c>2026-12-04T14:03:59.123456789Z</c>, or with an offset) as nanoseconds since the Unix epoch,
/// OTLP's time_unix_nano.
/// </summary>
/// <remarks>
/// Hand-written because DateTimeOffset keeps 100 ns ticks: the otlp source writes a record's time with all nine
/// digits, and a round trip through this sink must give the receiver the same nanosecond.
/// </remarks>
internal static class Rfc3339Timestamp
{
    public static bool TryParseUnixNanos(ReadOnlySpan<byte> text, out ulong unixNanos)
    {
        unixNanos = 0;
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || (text[10] | 0x20) != 't' || text[13] != ':' || text[16] != ':')
        {
            return false;
        }
        if (!Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || !Digits(text.Slice(11, 2), out var hour) || !Digits(text.Slice(14, 2), out var minute) || !Digits(text.Slice(17, 2), out var second))
        {
            return false;
        }
        if (year < 1970 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }
        var rest = text[19..];
        long nanos = 0;
        if (rest[0] == '.')
        {
            var digits = 1;
            var scale = 100_000_000L;
            while (digits < rest.Length && rest[digits] is >= (byte)'0' and <= (byte)'9')
            {
                // Digits past the ninth are below a nanosecond: dropped.
                nanos += (rest[digits] - '0') * scale;
                scale /= 10;
                digits++;
            }
            if (digits == 1)
            {
                return false;
            }
            rest = rest[digits..];
        }
        long offsetSeconds;
        if (rest.Length == 1 && (rest[0] | 0x20) == 'z')
        {
            offsetSeconds = 0;
        }
        else if (rest.Length == 6 && rest[0] is (byte)'+' or (byte)'-' && rest[3] == ':'
            && Digits(rest.Slice(1, 2), out var offsetHours) && Digits(rest.Slice(4, 2), out var offsetMinutes) && offsetHours < 24 && offsetMinutes < 60)
        {
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (rest[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }
        // A leap second (:60) is the next second's start: what DateTime and most backends make of it.
        var seconds = (new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerSecond
            + second - offsetSeconds;
        if (seconds < 0)
        {
            return false;
        }
        unixNanos = (ulong)seconds * 1_000_000_000UL + (ulong)nanos;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            value = value * 10 + (b - '0');
        }
        return true;
    }
}
