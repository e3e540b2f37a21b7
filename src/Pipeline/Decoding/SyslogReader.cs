using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pipeline.Decoding;

/// <summary>
/// A syslog line, RFC 5424 (<c>&lt;165&gt;1 2003-10-11T22:14:15.003Z host app 1234 ID47 [id k="v"] msg</c>) or
/// RFC 3164 (<c>&lt;34&gt;Oct 11 22:14:15 host app[1234]: msg</c>), into the fields Vector's syslog codec makes:
/// appname, hostname, facility and severity (by name), procid (a number when it is one), msgid, timestamp, version,
/// message, and each structured-data element as an object named by its SD-ID. A field the line leaves out
/// (RFC 5424's "-") is absent. Hand-written: NuGet serves no maintained syslog parser.
/// </summary>
internal static class SyslogReader
{
    private static readonly string[] Facilities =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
        "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    private static readonly string[] Severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>Writes the fields into the open object; false with the reason for a line that is not syslog.</summary>
    /// <param name="now">RFC 3164 timestamps have no year: the one that puts them nearest before now (plus a day of clock skew).</param>
    public static bool TryWrite(ReadOnlySpan<byte> line, Utf8JsonWriter writer, DateTimeOffset now, out string? error)
    {
        error = null;
        var close = line.Length > 1 && line[0] == (byte)'<' ? line[..Math.Min(line.Length, 5)].IndexOf((byte)'>') : -1;
        if (close < 2 || !Utf8Parser.TryParse(line[1..close], out int priority, out var used) || used != close - 1 || priority > 191)
        {
            error = "expected a priority such as <34> at the start of the line (RFC 5424 or RFC 3164)";
            return false;
        }
        var rest = line[(close + 1)..];
        writer.WriteString("facility"u8, Facilities[priority / 8]);
        writer.WriteString("severity"u8, Severities[priority % 8]);
        var space = rest.IndexOf((byte)' ');
        if (space > 0 && Utf8Parser.TryParse(rest[..space], out int version, out used) && used == space)
        {
            writer.WriteNumber("version"u8, version);
            return TryWriteRfc5424(rest[(space + 1)..], writer, out error);
        }
        return TryWriteRfc3164(rest, writer, now, out error);
    }

    private static bool TryWriteRfc5424(ReadOnlySpan<byte> rest, Utf8JsonWriter writer, out string? error)
    {
        error = null;
        ReadOnlySpan<string> names = ["timestamp", "hostname", "appname", "procid", "msgid"];
        foreach (var name in names)
        {
            var space = rest.IndexOf((byte)' ');
            if (space <= 0)
            {
                error = $"RFC 5424: expected the {name} and a space after the version, found '{Show(rest)}'";
                return false;
            }
            var token = rest[..space];
            rest = rest[(space + 1)..];
            if (token.SequenceEqual("-"u8))
            {
                continue;
            }
            if (name == "timestamp")
            {
                if (!DateTimeOffset.TryParse(Encoding.UTF8.GetString(token), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
                {
                    error = $"RFC 5424: the timestamp '{Show(token)}' is not an RFC 3339 time";
                    return false;
                }
                WriteTimestamp(writer, timestamp);
            }
            else if (name == "procid")
            {
                WriteProcid(writer, token);
            }
            else
            {
                writer.WriteString(name, token);
            }
        }
        if (rest.StartsWith("-"u8))
        {
            rest = rest[1..];
        }
        else if (!TryWriteStructuredData(ref rest, writer, out error))
        {
            return false;
        }
        if (rest.Length > 0 && rest[0] == (byte)' ')
        {
            rest = rest[1..];
        }
        if (rest.StartsWith("\uFEFF"u8))
        {
            rest = rest[3..];
        }
        writer.WriteString("message"u8, rest);
        return true;
    }

    /// <summary>One or more <c>[id name="value" ...]</c> elements; each becomes an object named by its id.</summary>
    private static bool TryWriteStructuredData(ref ReadOnlySpan<byte> rest, Utf8JsonWriter writer, out string? error)
    {
        error = null;
        if (rest.Length == 0 || rest[0] != (byte)'[')
        {
            error = $"RFC 5424: expected structured data ('-' or [id ...]) after the msgid, found '{Show(rest)}'";
            return false;
        }
        var value = new List<byte>();
        while (rest.Length > 0 && rest[0] == (byte)'[')
        {
            var idEnd = rest.IndexOfAny((byte)' ', (byte)']');
            if (idEnd <= 1)
            {
                error = "RFC 5424: a structured-data element without an id";
                return false;
            }
            writer.WriteStartObject(rest[1..idEnd]);
            rest = rest[idEnd..];
            while (rest.Length > 0 && rest[0] == (byte)' ')
            {
                var equals = rest.IndexOf("=\""u8);
                if (equals <= 1)
                {
                    error = $"RFC 5424: expected name=\"value\" in structured data, found '{Show(rest)}'";
                    return false;
                }
                var paramName = rest[1..equals];
                rest = rest[(equals + 2)..];
                value.Clear();
                var closed = false;
                var i = 0;
                for (; i < rest.Length; i++)
                {
                    var b = rest[i];
                    if (b == (byte)'\\' && i + 1 < rest.Length && rest[i + 1] is (byte)'"' or (byte)'\\' or (byte)']')
                    {
                        value.Add(rest[++i]);
                    }
                    else if (b == (byte)'"')
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        value.Add(b);
                    }
                }
                if (!closed)
                {
                    error = $"RFC 5424: unclosed quote in the structured-data parameter '{Show(paramName)}'";
                    return false;
                }
                writer.WriteString(paramName, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(value));
                rest = rest[(i + 1)..];
            }
            if (rest.Length == 0 || rest[0] != (byte)']')
            {
                error = "RFC 5424: a structured-data element without its closing ']'";
                return false;
            }
            writer.WriteEndObject();
            rest = rest[1..];
        }
        return true;
    }

    private static bool TryWriteRfc3164(ReadOnlySpan<byte> rest, Utf8JsonWriter writer, DateTimeOffset now, out string? error)
    {
        error = null;
        if (TryReadBsdTimestamp(rest, now, out var timestamp))
        {
            rest = rest[15..];
        }
        else
        {
            // rsyslog and others send an RFC 3339 time in the RFC 3164 layout.
            var space = rest.IndexOf((byte)' ');
            if (space <= 0 || !DateTimeOffset.TryParse(Encoding.UTF8.GetString(rest[..space]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out timestamp))
            {
                error = $"RFC 3164: expected a timestamp such as 'Oct 11 22:14:15' after the priority, found '{Show(rest)}'";
                return false;
            }
            rest = rest[space..];
        }
        WriteTimestamp(writer, timestamp);
        rest = rest.TrimStart((byte)' ');
        var hostEnd = rest.IndexOf((byte)' ');
        if (hostEnd <= 0)
        {
            error = "RFC 3164: expected a hostname and a message after the timestamp";
            return false;
        }
        writer.WriteString("hostname"u8, rest[..hostEnd]);
        rest = rest[(hostEnd + 1)..];

        // TAG[PID]: or TAG: opens the message; anything else is all message.
        var tagEnd = rest.IndexOfAny((byte)'[', (byte)':', (byte)' ');
        if (tagEnd > 0 && rest[tagEnd] != (byte)' ')
        {
            var tag = rest[..tagEnd];
            var afterTag = rest[tagEnd..];
            ReadOnlySpan<byte> procid = default;
            if (afterTag[0] == (byte)'[' && afterTag.IndexOf((byte)']') is var pidEnd and > 0)
            {
                procid = afterTag[1..pidEnd];
                afterTag = afterTag[(pidEnd + 1)..];
            }
            if (afterTag.StartsWith(":"u8))
            {
                writer.WriteString("appname"u8, tag);
                if (!procid.IsEmpty)
                {
                    WriteProcid(writer, procid);
                }
                rest = afterTag[1..].TrimStart((byte)' ');
            }
        }
        writer.WriteString("message"u8, rest);
        return true;
    }

    /// <summary><c>Mmm dd hh:mm:ss</c> (the day space-padded), in the year that puts it nearest before now.</summary>
    private static bool TryReadBsdTimestamp(ReadOnlySpan<byte> text, DateTimeOffset now, out DateTimeOffset timestamp)
    {
        timestamp = default;
        if (text.Length < 15 || text[3] != (byte)' ' || text[6] != (byte)' ' || text[9] != (byte)':' || text[12] != (byte)':')
        {
            return false;
        }
        var month = Array.IndexOf(Months, Encoding.ASCII.GetString(text[..3])) + 1;
        var dayText = text[4..6].TrimStart((byte)' ');
        if (month == 0
            || !Utf8Parser.TryParse(dayText, out int day, out var used) || used != dayText.Length
            || !Utf8Parser.TryParse(text[7..9], out int hour, out _)
            || !Utf8Parser.TryParse(text[10..12], out int minute, out _)
            || !Utf8Parser.TryParse(text[13..15], out int second, out _)
            || day is < 1 or > 31 || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }
        // The sender's zone is not in the line: UTC, the zone the service logs in.
        var year = now.Year;
        if (day > DateTime.DaysInMonth(year, month))
        {
            year--;
            if (day > DateTime.DaysInMonth(year, month))
            {
                return false;
            }
        }
        timestamp = new DateTimeOffset(year, month, day, hour, minute, Math.Min(second, 59), TimeSpan.Zero);
        if (timestamp > now.AddDays(1) && day <= DateTime.DaysInMonth(year - 1, month))
        {
            timestamp = timestamp.AddYears(-1);
        }
        return true;
    }

    private static void WriteTimestamp(Utf8JsonWriter writer, DateTimeOffset timestamp)
        => writer.WriteString("timestamp"u8, timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));

    private static void WriteProcid(Utf8JsonWriter writer, ReadOnlySpan<byte> procid)
    {
        if (Utf8Parser.TryParse(procid, out long number, out var used) && used == procid.Length)
        {
            writer.WriteNumber("procid"u8, number);
        }
        else
        {
            writer.WriteString("procid"u8, procid);
        }
    }

    /// <summary>The start of some input, for a reason in a dead-letter record.</summary>
    private static string Show(ReadOnlySpan<byte> text) => Encoding.UTF8.GetString(text[..Math.Min(text.Length, 40)]);
}
