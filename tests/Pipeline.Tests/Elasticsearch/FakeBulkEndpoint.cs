using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Elasticsearch;

/// <summary>
/// A Kestrel app on 127.0.0.1 (ephemeral port) that answers <c>POST /_bulk</c> as Elasticsearch does: a status per
/// item, chosen by the test, or a status for the whole request. It records every request it read.
/// </summary>
internal sealed class FakeBulkEndpoint : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<BulkRequest> _requests = [];
    private readonly List<BulkItem> _accepted = [];
    private readonly Queue<(int Status, string? RetryAfter)> _wholeAnswers = new();
    private WebApplication _app = null!;

    private FakeBulkEndpoint()
    {
    }

    public Uri Uri { get; private set; } = null!;

    /// <summary>The status of each item of a request that is answered per item: 201 by default. Called on Kestrel's threads.</summary>
    public Func<BulkItem, int> ItemStatus { get; set; } = _ => 201;

    public IReadOnlyList<BulkRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The items answered 2xx, in the order they came.</summary>
    public IReadOnlyList<BulkItem> Accepted
    {
        get
        {
            lock (_gate)
            {
                return [.. _accepted];
            }
        }
    }

    public static async Task<FakeBulkEndpoint> StartAsync()
    {
        var endpoint = new FakeBulkEndpoint();
        (endpoint._app, endpoint.Uri) = await LoopbackServer.StartAsync(app => app.MapPost("/_bulk", endpoint.AnswerAsync));
        return endpoint;
    }

    /// <summary>The next request is answered as a whole with <paramref name="status"/> (and a Retry-After), before any item is looked at.</summary>
    public void AnswerNextWith(int status, string? retryAfter = null)
    {
        lock (_gate)
        {
            _wholeAnswers.Enqueue((status, retryAfter));
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task AnswerAsync(HttpContext http)
    {
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        using var body = new MemoryStream();
        Stream input = http.Request.Body;
        if (headers.GetValueOrDefault("Content-Encoding") == "gzip")
        {
            input = new GZipStream(input, CompressionMode.Decompress);
        }
        await input.CopyToAsync(body, http.RequestAborted);
        var items = Parse(body.ToArray());
        http.Response.Headers["X-Elastic-Product"] = "Elasticsearch";
        http.Response.ContentType = "application/json";

        (int Status, string? RetryAfter)? whole = null;
        lock (_gate)
        {
            if (_wholeAnswers.Count > 0)
            {
                whole = _wholeAnswers.Dequeue();
            }
        }
        if (whole is { } answer)
        {
            lock (_gate)
            {
                _requests.Add(new BulkRequest(headers, items, answer.Status));
            }
            http.Response.StatusCode = answer.Status;
            if (answer.RetryAfter is { } retryAfter)
            {
                http.Response.Headers.RetryAfter = retryAfter;
            }
            await http.Response.WriteAsync($$"""{"error":{"type":"es_rejected_execution_exception","reason":"rejected by test"},"status":{{answer.Status}}}""", http.RequestAborted);
            return;
        }

        var results = new JsonArray();
        var errors = false;
        foreach (var item in items)
        {
            var status = ItemStatus(item);
            lock (_gate)
            {
                if (status is >= 200 and < 300)
                {
                    _accepted.Add(item);
                }
            }
            var result = new JsonObject { ["_index"] = item.Index, ["_id"] = item.Id ?? Guid.NewGuid().ToString("N"), ["status"] = status };
            if (status is >= 200 and < 300)
            {
                result["result"] = "created";
            }
            else
            {
                errors = true;
                result["error"] = new JsonObject
                {
                    ["type"] = status switch
                    {
                        400 => "document_parsing_exception",
                        409 => "version_conflict_engine_exception",
                        429 => "es_rejected_execution_exception",
                        _ => "unavailable_shards_exception",
                    },
                    ["reason"] = $"rejected by test with {status}",
                };
            }
            results.Add(new JsonObject { [item.Action] = result });
        }
        lock (_gate)
        {
            _requests.Add(new BulkRequest(headers, items, 200));
        }
        var response = new JsonObject { ["took"] = 1, ["errors"] = errors, ["items"] = results };
        await http.Response.WriteAsync(response.ToJsonString(), http.RequestAborted);
    }

    private static List<BulkItem> Parse(byte[] body)
    {
        var lines = System.Text.Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var items = new List<BulkItem>();
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            using var action = JsonDocument.Parse(lines[i]);
            var operation = action.RootElement.EnumerateObject().Single();
            var index = operation.Value.GetProperty("_index").GetString()!;
            var id = operation.Value.TryGetProperty("_id", out var idValue) ? idValue.GetString() : null;
            items.Add(new BulkItem(operation.Name, index, id, lines[i + 1]));
        }
        return items;
    }
}
