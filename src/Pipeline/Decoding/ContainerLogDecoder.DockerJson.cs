using System.Text.Json;

namespace Pipeline.Decoding;

// Docker's json-file log driver: one JSON object per line, {"log":"text\n","stream":"stdout","time":"…"}. The
// daemon splits a line longer than 16 KiB into pieces whose "log" does not end in "\n"; the last piece does.
public sealed partial class ContainerLogDecoder
{
    private const string DockerShape = "not a Docker json-file line: expected {\"log\":\"…\",\"stream\":\"stdout|stderr\",\"time\":\"…\"}";

    // Unescaped "log" and "time" values; grow only. An unescaped string is never longer than its escaped form.
    private byte[] _logScratch = [];
    private byte[] _timeScratch = [];

    private ContainerLineStatus DecodeDockerJson(ReadOnlySpan<byte> physicalLine, out ContainerLogLine line, out string? error)
    {
        ReadOnlySpan<byte> log = default;
        ReadOnlySpan<byte> time = default;
        ReadOnlySpan<byte> stream = default;
        PendingLine? pending = null;
        bool hasLog = false, hasTime = false;
        if (physicalLine.IndexOfAnyExcept(" \t\r"u8) < 0)
        {
            return Invalid($"{DockerShape}, found an empty line", out line, out error);
        }
        try
        {
            var reader = new Utf8JsonReader(physicalLine);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Invalid($"{DockerShape}, found {Describe(reader.TokenType)}", out line, out error);
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("log"u8))
                {
                    if (!ReadString(ref reader))
                    {
                        return Invalid($"{DockerShape}, found \"log\" holding {Describe(reader.TokenType)}", out line, out error);
                    }
                    log = Unescaped(ref reader, ref _logScratch);
                    hasLog = true;
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    if (!ReadString(ref reader))
                    {
                        return Invalid($"{DockerShape}, found \"stream\" holding {Describe(reader.TokenType)}", out line, out error);
                    }
                    // Stream names never need escaping, so an escaped one is no stream this decoder knows.
                    pending = reader.ValueIsEscaped ? null : PendingFor(reader.ValueSpan, out stream);
                    if (pending is null)
                    {
                        return Invalid($"{DockerShape}, found the stream '{Show(reader.ValueSpan)}' (expected stdout or stderr)", out line, out error);
                    }
                }
                else if (reader.ValueTextEquals("time"u8))
                {
                    if (!ReadString(ref reader))
                    {
                        return Invalid($"{DockerShape}, found \"time\" holding {Describe(reader.TokenType)}", out line, out error);
                    }
                    time = Unescaped(ref reader, ref _timeScratch);
                    hasTime = true;
                }
                else
                {
                    // Other members (attrs from --log-opt labels, for one) are not part of the line.
                    reader.Read();
                    reader.Skip();
                }
            }
            // Past the object only whitespace may follow; the reader throws on anything else.
            if (reader.Read())
            {
                return Invalid($"{DockerShape}, found more after the object", out line, out error);
            }
        }
        catch (JsonException ex)
        {
            return Invalid($"{DockerShape}, found invalid JSON: {Events.JsonErrorText.Describe(ex)}", out line, out error);
        }
        catch (InvalidOperationException ex)
        {
            // The reader checks a string's UTF-8 (and its \u surrogate pairs) only when unescaping it, and throws this
            // instead of a JsonException; found by fuzzing (docs/fuzzing.md). Untrusted node input: an invalid line.
            return Invalid($"{DockerShape}, found a string that is not valid UTF-8: {ex.Message}", out line, out error);
        }

        if (!hasLog || pending is null || !hasTime)
        {
            var missing = !hasLog ? "log" : pending is null ? "stream" : "time";
            return Invalid($"{DockerShape}, found no \"{missing}\" member", out line, out error);
        }
        var final = !log.IsEmpty && log[^1] == '\n';
        if (final)
        {
            log = log[..^1];
        }
        error = null;
        return Accept(pending, stream, time, log, final, out line);
    }

    private static bool ReadString(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.String;

    /// <summary>The current string's text: a span of the line when it has no escapes, else unescaped into scratch.</summary>
    private static ReadOnlySpan<byte> Unescaped(scoped ref Utf8JsonReader reader, ref byte[] scratch)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }
        if (scratch.Length < reader.ValueSpan.Length)
        {
            scratch = new byte[Math.Max(reader.ValueSpan.Length, Math.Max(scratch.Length * 2, 1024))];
        }
        var written = reader.CopyString(scratch);
        return scratch.AsSpan(0, written);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
