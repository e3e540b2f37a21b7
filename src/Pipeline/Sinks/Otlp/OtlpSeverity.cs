namespace Pipeline.Sinks.Otlp;

/// <summary>
/// A level's name as OTLP's SeverityNumber (https://opentelemetry.io/docs/specs/otel/logs/data-model/#field-severitynumber):
/// TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24; a digit 2 to 4 after the name (INFO2) is
/// the step within the range, as the specification's short names have it.
/// </summary>
internal static class OtlpSeverity
{
    /// <summary>The number for a level name, compared without case; 0 (unspecified) for a name it does not know.</summary>
    public static int FromText(ReadOnlySpan<byte> text)
    {
        var step = 0;
        if (text.Length > 1 && text[^1] is >= (byte)'2' and <= (byte)'4')
        {
            step = text[^1] - '1';
            text = text[..^1];
        }
        Span<byte> lower = stackalloc byte[12];
        if (text.Length > lower.Length)
        {
            return 0;
        }
        for (var i = 0; i < text.Length; i++)
        {
            lower[i] = text[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(text[i] | 0x20) : text[i];
        }
        var name = lower[..text.Length];
        var first = name switch
        {
            _ when name.SequenceEqual("trace"u8) => 1,
            _ when name.SequenceEqual("debug"u8) || name.SequenceEqual("dbug"u8) => 5,
            _ when name.SequenceEqual("info"u8) || name.SequenceEqual("information"u8) || name.SequenceEqual("informational"u8) => 9,
            // Syslog's notice is between informational and warning: the specification's syslog mapping makes it INFO2.
            _ when name.SequenceEqual("notice"u8) => 10,
            _ when name.SequenceEqual("warn"u8) || name.SequenceEqual("warning"u8) => 13,
            _ when name.SequenceEqual("error"u8) || name.SequenceEqual("err"u8) || name.SequenceEqual("eror"u8) => 17,
            _ when name.SequenceEqual("fatal"u8) || name.SequenceEqual("critical"u8) || name.SequenceEqual("crit"u8)
                || name.SequenceEqual("alert"u8) || name.SequenceEqual("emerg"u8) || name.SequenceEqual("emergency"u8) || name.SequenceEqual("panic"u8) => 21,
            _ => 0,
        };
        // A step stays inside its range: NOTICE4 is INFO4, not WARN.
        return first == 0 ? 0 : Math.Min(first + step, (first - 1) / 4 * 4 + 4);
    }
}
