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
