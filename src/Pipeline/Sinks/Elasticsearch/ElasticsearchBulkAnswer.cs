using System.Text.Json;
using Elastic.Clients.Elasticsearch;
using Elastic.Clients.Elasticsearch.Core.Bulk;
using Elastic.Transport;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// What a <c>_bulk</c> request got: the transport's call details, how many items the answer has, and the items
/// themselves only when some failed.
/// </summary>
/// <remarks>
/// Read with a <see cref="Utf8JsonReader"/> first, because deserializing every item into the client's
/// <see cref="BulkResponse"/> costs objects and strings per event on the hot path (measured with bench/elasticsearch.sh:
/// docs/elasticsearch.md); when the answer says <c>"errors":true</c> it is deserialized in full, by the client.
/// </remarks>
internal sealed class ElasticsearchBulkAnswer
{
    private ElasticsearchBulkAnswer(ApiCallDetails details, int itemCount, IReadOnlyCollection<ResponseItem>? items, string? error)
    {
        Details = details;
        ItemCount = itemCount;
        Items = items;
        Error = error;
    }

    public ApiCallDetails Details { get; }

    /// <summary>The items of a bulk answer; -1 when the body is no bulk answer (an error, a proxy's page, nothing).</summary>
    public int ItemCount { get; }

    /// <summary>Every item, in body order, when the answer says some failed; null when none did.</summary>
    public IReadOnlyCollection<ResponseItem>? Items { get; }

    /// <summary>Elasticsearch's error for the whole request (<c>type: reason</c>), when it answered one.</summary>
    public string? Error { get; }

    public static ElasticsearchBulkAnswer Read(BytesResponse response, Serializer serializer)
    {
        var body = response.Body ?? [];
        var details = response.ApiCallDetails;
        try
        {
            if (!details.HasSuccessfulStatusCode)
            {
                return new ElasticsearchBulkAnswer(details, -1, null, ErrorOf(body));
            }
            var (itemCount, errors) = Scan(body);
            if (!errors || itemCount < 0)
            {
                return new ElasticsearchBulkAnswer(details, itemCount, null, null);
            }
            using var stream = new MemoryStream(body, writable: false);
            var parsed = serializer.Deserialize<BulkResponse>(stream);
            return new ElasticsearchBulkAnswer(details, itemCount, parsed?.Items, null);
        }
        catch (JsonException)
        {
            return new ElasticsearchBulkAnswer(details, -1, null, null);
        }
    }

    private static (int ItemCount, bool Errors) Scan(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return (-1, false);
        }
        var itemCount = -1;
        var errors = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("errors"u8))
            {
                reader.Read();
                errors = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("items"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return (-1, false);
                }
                itemCount = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    reader.Skip();
                    itemCount++;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return (itemCount, errors);
    }

    private static string? ErrorOf(byte[] body)
    {
        if (body.Length == 0)
        {
            return null;
        }
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("error", out var error))
        {
            return null;
        }
        if (error.ValueKind == JsonValueKind.String)
        {
            return error.GetString();
        }
        var type = error.TryGetProperty("type", out var t) ? t.GetString() : null;
        var reason = error.TryGetProperty("reason", out var r) ? r.GetString() : null;
        return $"{type}: {reason}";
    }
}
