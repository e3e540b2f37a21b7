using System.Net.Http.Headers;
using System.Text.Json;
using Pipeline.Decoding;
using Pipeline.Events;

namespace Pipeline.Sources.Http;

// The body's media type and encoding, and parsing it into events and per-line errors.
public sealed partial class HttpIngestHandler
{
    private enum BodyFormat
    {
        Ndjson,
        Json,

        /// <summary>text/plain, framed by framing and decoded by decoding.codec (not json).</summary>
        Framed,
    }

    private string AcceptedContentTypes => _codec == DecodingCodec.Json
        ? "one of application/x-ndjson, application/ndjson, application/jsonl, application/json"
        : $"text/plain (decoding.codec: {_codec.ToString().ToLowerInvariant()})";

    /// <summary>
    /// The body cut at the framing delimiter (or whole, for framing bytes), each frame decoded by the codec; a frame
    /// that does not decode is a per-line error, as an invalid NDJSON line is. Frames are numbered from 1; blank ones
    /// are skipped, as blank NDJSON lines are.
    /// </summary>
    private void ParseFrames(ReadOnlySpan<byte> body, List<Event> events, List<int> positions, List<IngestLineError> errors)
    {
        var decoder = _decoders.TryTake(out var pooled) ? pooled : new FrameDecoder(_codec);
        try
        {
            var start = body.StartsWith("\uFEFF"u8) ? 3 : 0;
            var number = 0;
            while (start <= body.Length)
            {
                number++;
                var rest = body[start..];
                var end = _delimiter is { } delimiter ? rest.IndexOf(delimiter) : -1;
                var frame = end < 0 ? rest : rest[..end];
                if (!frame.Trim(" \t\r\n"u8).IsEmpty)
                {
                    if (decoder.Decode(frame, out var error) is { } evt)
                    {
                        events.Add(evt);
                        positions.Add(number);
                    }
                    else
                    {
                        errors.Add(new IngestLineError(number, $"{error} (decoding.codec: {decoder.CodecName})", start, frame.Length));
                    }
                }
                if (end < 0)
                {
                    break;
                }
                start += end + 1;
            }
        }
        finally
        {
            _decoders.Add(decoder);
        }
    }

    private static void ParseNdjson(ReadOnlySpan<byte> body, List<Event> events, List<int> positions, List<IngestLineError> errors)
    {
        var start = body.StartsWith("\uFEFF"u8) ? 3 : 0;
        var lineNumber = 0;
        while (start <= body.Length)
        {
            lineNumber++;
            var rest = body[start..];
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            // Blank lines (a trailing newline, CRLF leftovers) separate nothing and are not errors.
            if (!line.Trim(" \t\r"u8).IsEmpty)
            {
                try
                {
                    events.Add(Event.Parse(line));
                    positions.Add(lineNumber);
                }
                catch (EventFormatException ex)
                {
                    errors.Add(new IngestLineError(lineNumber, ex.Message, start, line.Length));
                }
            }
            if (newline < 0)
            {
                break;
            }
            start += newline + 1;
        }
    }

    private static void ParseJson(ReadOnlySpan<byte> body, List<Event> events, List<int> positions, List<IngestLineError> errors)
    {
        // One nesting level more than events allow, for the enclosing array.
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 65 });
        var index = 0;
        var elementStart = 0;
        try
        {
            if (!reader.Read())
            {
                return;
            }
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                AddElement(body, events, positions, errors, 0, 0, body.Length, JsonTokenType.StartObject);
                return;
            }
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                errors.Add(new IngestLineError(0, $"expected a JSON object or an array of objects, found {IngestResponseJson.Describe(reader.TokenType)}", 0, body.Length));
                return;
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                elementStart = (int)reader.TokenStartIndex;
                var kind = reader.TokenType;
                reader.Skip();
                AddElement(body, events, positions, errors, index, elementStart, (int)reader.BytesConsumed - elementStart, kind);
                index++;
                elementStart = (int)reader.BytesConsumed;
            }
            // Only whitespace may follow the array: the reader throws on anything else. Unchecked, a second array's
            // events were dropped while the client was told all was accepted (found by fuzzing, docs/fuzzing.md).
            elementStart = (int)reader.BytesConsumed;
            reader.Read();
        }
        catch (JsonException ex)
        {
            // A syntax error ends the array: nothing after it can be told apart. The elements before it stand.
            errors.Add(new IngestLineError(index, $"invalid JSON: {JsonErrorText.Describe(ex)}", elementStart, body.Length - elementStart));
        }
    }

    private static void AddElement(ReadOnlySpan<byte> body, List<Event> events, List<int> positions, List<IngestLineError> errors,
        int index, int offset, int length, JsonTokenType kind)
    {
        if (kind != JsonTokenType.StartObject)
        {
            errors.Add(new IngestLineError(index, $"expected a JSON object, found {IngestResponseJson.Describe(kind)}", offset, length));
            return;
        }
        try
        {
            events.Add(Event.Parse(body.Slice(offset, length)));
            positions.Add(index);
        }
        catch (EventFormatException ex)
        {
            errors.Add(new IngestLineError(index, ex.Message, offset, length));
        }
    }

    private bool TryGetFormat(string? contentType, out BodyFormat format)
    {
        format = BodyFormat.Ndjson;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }
        if (parsed.CharSet is { } charset && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (_codec != DecodingCodec.Json)
        {
            // A JSON body sent to a text codec would become one event per line holding the JSON as text: refused,
            // so a client pointed at the wrong source learns it at once rather than from the events.
            format = BodyFormat.Framed;
            return parsed.MediaType?.Equals("text/plain", StringComparison.OrdinalIgnoreCase) == true;
        }
        switch (parsed.MediaType?.ToUpperInvariant())
        {
            case "APPLICATION/X-NDJSON" or "APPLICATION/NDJSON" or "APPLICATION/JSONL" or "APPLICATION/X-JSONLINES":
                format = BodyFormat.Ndjson;
                return true;
            case "APPLICATION/JSON":
                format = BodyFormat.Json;
                return true;
            default:
                return false;
        }
    }

    private static bool TryGetGzip(string contentEncoding, out bool gzip)
    {
        var encoding = contentEncoding.Trim();
        gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        return gzip || encoding.Length == 0 || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase);
    }
}
