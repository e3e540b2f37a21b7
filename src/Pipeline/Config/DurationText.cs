using System.Globalization;

namespace Pipeline.Config;

/// <summary>
/// Durations as written in YAML: a number with a unit — <c>250ms</c>, <c>5s</c>, <c>1.5m</c>, <c>1h</c>, <c>2d</c> —
/// or several of them run together (<c>1m30s</c>).
/// </summary>
/// <remarks>
/// A bare number is rejected (except <c>0</c>): <c>retry_backoff: 50</c> could mean milliseconds or seconds, and
/// guessing wrong is a silent thousand-fold error. Hand-written because no served package parses these.
/// </remarks>
internal static class DurationText
{
    public const string Expected = "a duration such as 250ms, 5s, 1m or 1h";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text.Trim();
        if (s == "0")
        {
            return true;
        }
        if (s.Length == 0)
        {
            return false;
        }
        var i = 0;
        var totalMs = 0.0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }
            double? unitMs = s[unitStart..i] switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => null,
            };
            if (unitMs is null)
            {
                return false;
            }
            totalMs += number * unitMs.Value;
        }
        if (totalMs > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }
        duration = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }
}
