using System.Globalization;

namespace Pipeline.Components;

/// <summary>A size in bytes written in YAML as "512", "64KiB", "10MiB", "1GiB" (also KB/MB/GB as powers of 1000).</summary>
public readonly record struct ByteSize(long Bytes)
{
    public static bool TryParse(string text, out ByteSize size)
    {
        size = default;
        var s = text.Trim();
        var i = 0;
        while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }
        if (i == 0 || !double.TryParse(s.AsSpan(0, i), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        long multiplier = s[i..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "KB" => 1000,
            "KIB" or "K" => 1024,
            "MB" => 1000 * 1000,
            "MIB" or "M" => 1024 * 1024,
            "GB" => 1000L * 1000 * 1000,
            "GIB" or "G" => 1024L * 1024 * 1024,
            _ => -1,
        };
        if (multiplier < 0)
        {
            return false;
        }
        size = new ByteSize((long)(number * multiplier));
        return true;
    }

    public override string ToString() => Bytes.ToString(CultureInfo.InvariantCulture);
}
