using System.Buffers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// OTLP/JSON: protobuf's JSON mapping (Google.Protobuf's parser) with the deviations the OTLP specification makes
/// (specification/protocol/otlp.md, JSON Protobuf Encoding): traceId and spanId are hex, not base64; unknown fields
/// are ignored. Enum values as integers, int64 as strings or numbers, and lowerCamelCase or original field names are
/// protobuf's mapping already.
/// </summary>
internal static class OtlpJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    /// <summary>Decodes a request; throws <see cref="InvalidJsonException"/>, <see cref="JsonException"/> or <see cref="FormatException"/> naming what is wrong.</summary>
    public static ExportLogsServiceRequest ParseRequest(ReadOnlySpan<byte> utf8)
    {
        var rewritten = new ArrayBufferWriter<byte>(utf8.Length + 64);
        using (var writer = new Utf8JsonWriter(rewritten))
        {
            HexIdsToBase64(utf8, writer);
        }
        return Parser.Parse<ExportLogsServiceRequest>(Encoding.UTF8.GetString(rewritten.WrittenSpan));
    }

    /// <summary>A message as OTLP/JSON (the response and the Status of an answer: they hold no ids).</summary>
    public static string Format(IMessage message) => Formatter.Format(message);

    /// <summary>
    /// Copies the JSON token by token, turning the hex string of every traceId/spanId member into the base64 protobuf's
    /// mapping expects for bytes. Only LogRecord has members of those names; attribute keys are values of "key", not
    /// member names, so an attribute called traceId is left alone.
    /// </summary>
    private static void HexIdsToBase64(ReadOnlySpan<byte> utf8, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 128 });
        var idMember = false;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    writer.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    writer.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    writer.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    writer.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName:
                    var name = reader.GetString()!;
                    idMember = name is "traceId" or "spanId" or "trace_id" or "span_id";
                    writer.WritePropertyName(name);
                    continue;
                case JsonTokenType.String when idMember:
                    var hex = reader.GetString()!;
                    byte[] bytes;
                    try
                    {
                        bytes = Convert.FromHexString(hex);
                    }
                    catch (FormatException)
                    {
                        throw new FormatException($"a log record's trace or span id is not hex (OTLP/JSON writes ids as hex strings): '{hex}'");
                    }
                    writer.WriteBase64StringValue(bytes);
                    break;
                case JsonTokenType.String:
                    writer.WriteStringValue(reader.GetString());
                    break;
                case JsonTokenType.Number:
                    writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    writer.WriteBooleanValue(reader.GetBoolean());
                    break;
                case JsonTokenType.Null:
                    writer.WriteNullValue();
                    break;
            }
            idMember = false;
        }
    }
}
