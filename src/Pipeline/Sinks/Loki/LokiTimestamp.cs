using System.Globalization;
using System.Text;
using Pipeline.Events;

namespace Pipeline.Sinks.Loki;

/// <summary>An entry's time as Loki takes it, nanoseconds since the Unix epoch, from the event's RFC 3339 <c>timestamp</c>.</summary>
internal static class LokiTimestamp
{
    private const int MaxTextLength = 64;

    /// <summary>
    /// The value's RFC 3339 text in Unix nanoseconds, keeping all nine fraction digits (DateTimeOffset keeps seven);
    /// false for a value that is not such a text.
    /// </summary>
    public static bool TryParse(EventValue value, out long unixNanos)
    {
        unixNanos = 0;
        if (!value.TryGetUtf8(out var utf8) || utf8.Length is < 20 or > MaxTextLength)
        {
            return false;
        }
        if (TryParseCanonical(utf8, out unixNanos))
        {
            return true;
        }
        Span<char> text = stackalloc char[MaxTextLength];
        if (!Encoding.UTF8.TryGetChars(utf8, text, out var length))
        {
            return false;
        }
        text = text[..length];
        // yyyy-MM-ddTHH:mm:ss is 19 characters; a fraction, when there is one, starts right after.
        long fractionNanos = 0;
        if (text[19] == '.')
        {
            var end = 20;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                if (end - 20 < 9)
                {
                    fractionNanos = (fractionNanos * 10) + (text[end] - '0');
                }
                end++;
            }
            for (var digits = end - 20; digits < 9; digits++)
            {
                fractionNanos *= 10;
            }
            // Parse the rest without the fraction: only its nanoseconds are taken from the digits above.
            text[end..].CopyTo(text[19..]);
            text = text[..(text.Length - (end - 19))];
        }
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return false;
        }
        unixNanos = ((time.UtcTicks - DateTime.UnixEpoch.Ticks) * 100) + fractionNanos;
        return true;
    }

    /// <summary>
    /// The usual form, yyyy-MM-ddTHH:mm:ss[.fraction](Z|±hh:mm), read digit by digit: DateTimeOffset.TryParse took
    /// most of an entry's cost. Anything else falls back to it.
    /// </summary>
    private static bool TryParseCanonical(ReadOnlySpan<byte> text, out long unixNanos)
    {
        unixNanos = 0;
        if (text[4] != '-' || text[7] != '-' || (text[10] | 0x20) != 't' || text[13] != ':' || text[16] != ':'
            || !Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
            || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second)
            || year == 0 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        var i = 19;
        long fraction = 0;
        var digits = 0;
        if (text[i] == '.')
        {
            for (i++; i < text.Length && char.IsAsciiDigit((char)text[i]); i++, digits++)
            {
                if (digits < 9)
                {
                    fraction = (fraction * 10) + (text[i] - '0');
                }
            }
            if (digits == 0)
            {
                return false;
            }
        }
        for (; digits < 9; digits++)
        {
            fraction *= 10;
        }
        long offsetSeconds;
        var zone = text[i..];
        if (zone is [(byte)'Z'] or [(byte)'z'])
        {
            offsetSeconds = 0;
        }
        else if (zone.Length == 6 && zone[0] is (byte)'+' or (byte)'-' && zone[3] == ':' && Digits(zone, 1, 2, out var oh) && Digits(zone, 4, 2, out var om))
        {
            offsetSeconds = ((oh * 60) + om) * 60 * (zone[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }
        var days = new DateOnly(year, month, day).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        var seconds = (days * 86_400L) + (hour * 3600) + (minute * 60) + second - offsetSeconds;
        unixNanos = (seconds * 1_000_000_000L) + fraction;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = text[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }
            value = (value * 10) + d;
        }
        return true;
    }

    /// <summary>How Loki writes an entry's time in its refusals (Go's time.Time String): 2025-01-02 03:04:05.123 +0000 UTC.</summary>
    public static string GoText(long unixNanos)
    {
        var seconds = Math.DivRem(unixNanos, 1_000_000_000L, out var nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000L;
        }
        var whole = DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var fraction = nanos == 0 ? "" : "." + nanos.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return $"{whole}{fraction} +0000 UTC";
    }
}
