using System.Globalization;
using System.Text.Json;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>A span as the OTLP receiver returned it (OTLP JSON: hex ids, nanosecond times as strings).</summary>
internal sealed record ReceivedSpan(
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    long StartNanos,
    long EndNanos,
    int StatusCode,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyDictionary<string, string> Resource,
    IReadOnlyList<string> EventNames,
    IReadOnlyList<(string TraceId, string SpanId)> Links)
{
    /// <summary>OTLP span kinds.</summary>
    public const int Internal = 1, Server = 2, Client = 3, Producer = 4, Consumer = 5;

    public double DurationSeconds => (EndNanos - StartNanos) / 1e9;

    public string? Attribute(string key) => Attributes.GetValueOrDefault(key);

    public static IEnumerable<ReceivedSpan> Read(JsonElement data)
    {
        foreach (var resourceSpans in Array(data, "resourceSpans"))
        {
            var resource = OtlpJson.Attributes(resourceSpans.TryGetProperty("resource", out var r) ? r : default);
            foreach (var scopeSpans in Array(resourceSpans, "scopeSpans"))
            {
                foreach (var span in Array(scopeSpans, "spans"))
                {
                    yield return new ReceivedSpan(
                        OtlpJson.String(span, "traceId"),
                        OtlpJson.String(span, "spanId"),
                        OtlpJson.String(span, "parentSpanId"),
                        OtlpJson.String(span, "name"),
                        OtlpJson.Int(span, "kind"),
                        OtlpJson.Long(span, "startTimeUnixNano"),
                        OtlpJson.Long(span, "endTimeUnixNano"),
                        span.TryGetProperty("status", out var status) ? OtlpJson.Int(status, "code") : 0,
                        OtlpJson.Attributes(span),
                        resource,
                        [.. Array(span, "events").Select(e => OtlpJson.String(e, "name"))],
                        [.. Array(span, "links").Select(l => (OtlpJson.String(l, "traceId"), OtlpJson.String(l, "spanId")))]);
                }
            }
        }
    }

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray()
            : [];
}

/// <summary>A log record as the OTLP receiver returned it.</summary>
internal sealed record ReceivedLogRecord(
    string TraceId,
    string SpanId,
    string SeverityText,
    int SeverityNumber,
    string Body,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyDictionary<string, string> Resource)
{
    public static IEnumerable<ReceivedLogRecord> Read(JsonElement data)
    {
        if (!data.TryGetProperty("resourceLogs", out var resourceLogs))
        {
            yield break;
        }
        foreach (var resourceLog in resourceLogs.EnumerateArray())
        {
            var resource = OtlpJson.Attributes(resourceLog.TryGetProperty("resource", out var r) ? r : default);
            if (!resourceLog.TryGetProperty("scopeLogs", out var scopeLogs))
            {
                continue;
            }
            foreach (var scopeLog in scopeLogs.EnumerateArray())
            {
                if (!scopeLog.TryGetProperty("logRecords", out var records))
                {
                    continue;
                }
                foreach (var record in records.EnumerateArray())
                {
                    yield return new ReceivedLogRecord(
                        OtlpJson.String(record, "traceId"),
                        OtlpJson.String(record, "spanId"),
                        OtlpJson.String(record, "severityText"),
                        OtlpJson.Int(record, "severityNumber"),
                        record.TryGetProperty("body", out var body) ? OtlpJson.Value(body) : "",
                        OtlpJson.Attributes(record),
                        resource);
                }
            }
        }
    }
}

/// <summary>Reading OTLP JSON's shapes (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).</summary>
internal static class OtlpJson
{
    public static string String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    /// <summary>Enums may come as numbers or, from some encoders, as names (SPAN_KIND_CLIENT); names are mapped by suffix order.</summary>
    public static int Int(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return 0;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.GetInt32(),
            JsonValueKind.String when int.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var n) => n,
            JsonValueKind.String => value.GetString() switch
            {
                "SPAN_KIND_INTERNAL" => 1, "SPAN_KIND_SERVER" => 2, "SPAN_KIND_CLIENT" => 3, "SPAN_KIND_PRODUCER" => 4, "SPAN_KIND_CONSUMER" => 5,
                "STATUS_CODE_OK" => 1, "STATUS_CODE_ERROR" => 2,
                _ => 0,
            },
            _ => 0,
        };
    }

    /// <summary>64-bit integers are strings in OTLP JSON.</summary>
    public static long Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.Number ? value.GetInt64() : long.Parse(value.GetString() ?? "0", CultureInfo.InvariantCulture)
            : 0;

    public static Dictionary<string, string> Attributes(JsonElement owner)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty("attributes", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var attribute in list.EnumerateArray())
            {
                attributes[String(attribute, "key")] = attribute.TryGetProperty("value", out var value) ? Value(value) : "";
            }
        }
        return attributes;
    }

    /// <summary>An AnyValue as text: the scalar's own text; arrays and maps as their JSON.</summary>
    public static string Value(JsonElement anyValue)
    {
        foreach (var property in anyValue.EnumerateObject())
        {
            return property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString() ?? "",
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                _ => property.Value.GetRawText(),
            };
        }
        return "";
    }
}
