using System.Text.Json;

namespace Pipeline.Decoding;

/// <summary>
/// logfmt (<c>key=value key2="quoted value" flag</c>) as Vector's <c>parse_logfmt</c> reads it: values stay strings
/// (<c>n=5</c> is "5"), a bare key is true, <c>\"</c> and <c>\\</c> escape inside quotes, and a repeated key keeps
/// its last value. Hand-written: NuGet serves no maintained logfmt parser, and the grammar is a dozen lines.
/// </summary>
internal static class LogfmtReader
{
    /// <summary>Writes the pairs as properties of the open object; false with the reason for a line that is not logfmt.</summary>
    public static bool TryWrite(ReadOnlySpan<byte> line, Utf8JsonWriter writer, out string? error)
    {
        error = null;
        Span<byte> scratch = line.Length <= 512 ? stackalloc byte[line.Length] : new byte[line.Length];
        var i = 0;
        while (true)
        {
            while (i < line.Length && line[i] is (byte)' ' or (byte)'\t')
            {
                i++;
            }
            if (i == line.Length)
            {
                return true;
            }
            if (line[i] == (byte)'=')
            {
                error = $"a value without a key at byte {i + 1}";
                return false;
            }
            var keyStart = i;
            if (!TryReadToken(line, ref i, scratch, out var keyLength, stopAtEquals: true))
            {
                error = $"unclosed quote in the key starting at byte {keyStart + 1}";
                return false;
            }
            // The key stays at the front of the scratch and the value is unescaped after it: neither is longer than the line.
            var key = scratch[..keyLength];
            var valueScratch = scratch[keyLength..];
            if (i < line.Length && line[i] == (byte)'=')
            {
                i++;
                var valueStart = i;
                if (!TryReadToken(line, ref i, valueScratch, out var valueLength, stopAtEquals: false))
                {
                    error = $"unclosed quote in the value of '{System.Text.Encoding.UTF8.GetString(key)}' starting at byte {valueStart + 1}";
                    return false;
                }
                writer.WriteString(key, valueScratch[..valueLength]);
            }
            else
            {
                writer.WriteBoolean(key, true);
            }
        }
    }

    /// <summary>A bare or quoted token from <paramref name="i"/>, unescaped into <paramref name="scratch"/>; false for an unclosed quote.</summary>
    private static bool TryReadToken(ReadOnlySpan<byte> line, ref int i, Span<byte> scratch, out int length, bool stopAtEquals)
    {
        length = 0;
        if (i < line.Length && line[i] == (byte)'"')
        {
            i++;
            while (i < line.Length)
            {
                var b = line[i++];
                if (b == (byte)'"')
                {
                    return true;
                }
                if (b == (byte)'\\' && i < line.Length && line[i] is (byte)'"' or (byte)'\\')
                {
                    b = line[i++];
                }
                scratch[length++] = b;
            }
            return false;
        }
        while (i < line.Length && line[i] is not ((byte)' ' or (byte)'\t') && !(stopAtEquals && line[i] == (byte)'='))
        {
            scratch[length++] = line[i++];
        }
        return true;
    }
}
