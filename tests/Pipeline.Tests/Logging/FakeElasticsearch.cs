using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using Pipeline.Tests.Support;

namespace Pipeline.Tests.Logging;

/// <summary>
/// Enough of Elasticsearch's bulk API on 127.0.0.1 (ephemeral port) for the log sink: records every request and
/// answers a valid bulk response, one item per action line, with the product header the client checks.
/// </summary>
internal sealed class FakeElasticsearch : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly Lock _lock = new();
    private readonly List<BulkRequestRecord> _requests = [];
    private readonly List<(int Count, TaskCompletionSource Answered)> _waiters = [];
    private int _answered;

    private FakeElasticsearch()
    {
    }

    public Uri Uri { get; private set; } = null!;

    /// <summary>When set, every bulk request waits for it before answering (a slow or stuck cluster).</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>HTTP status for the whole request; 200 answers a bulk response.</summary>
    public int Status { get; set; } = StatusCodes.Status200OK;

    /// <summary>0-based positions, within a request, of items the fake cluster rejects with a 400 mapping error.</summary>
    public HashSet<int> RejectedItems { get; } = [];

    /// <summary>Completes when this many bulk requests were answered.</summary>
    public Task WhenAnswered(int count)
    {
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiters.Add((count, answered));
            CompleteWaiters();
        }
        return answered.Task;
    }

    public IReadOnlyList<BulkRequestRecord> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeElasticsearch> StartAsync()
    {
        var server = new FakeElasticsearch();
        (server._app, server.Uri) = await LoopbackServer.StartAsync(app => app.Map("/{**path}", server.AnswerAsync));
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task AnswerAsync(HttpContext http)
    {
        // The client gzips bulk bodies by default.
        var body = http.Request.Headers.ContentEncoding.ToString() == "gzip"
            ? await ReadAsync(new GZipStream(http.Request.Body, CompressionMode.Decompress), http.RequestAborted)
            : await ReadAsync(http.Request.Body, http.RequestAborted);
        lock (_lock)
        {
            _requests.Add(new BulkRequestRecord(http.Request.Method, http.Request.Path + http.Request.QueryString, http.Request.ContentType ?? "", body));
        }
        if (Hold is { } hold)
        {
            await hold.Task.WaitAsync(http.RequestAborted);
        }
        http.Response.Headers["X-Elastic-Product"] = "Elasticsearch";
        http.Response.StatusCode = Status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(Status == StatusCodes.Status200OK ? BulkResponse(body) : """{"error":{"type":"test","reason":"rejected by test"},"status":500}""", http.RequestAborted);
        lock (_lock)
        {
            _answered++;
            CompleteWaiters();
        }
    }

    private static async Task<string> ReadAsync(Stream body, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private string BulkResponse(string body)
    {
        var actions = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length / 2;
        var items = new JsonArray();
        for (var i = 0; i < actions; i++)
        {
            var item = RejectedItems.Contains(i)
                ? new JsonObject { ["_index"] = "logs-pipeline-default", ["status"] = 400, ["error"] = new JsonObject { ["type"] = "document_parsing_exception", ["reason"] = "test rejects this item" } }
                : new JsonObject { ["_index"] = ".ds-logs-pipeline-default-000001", ["_id"] = $"id{i}", ["_version"] = 1, ["result"] = "created", ["status"] = 201, ["_seq_no"] = i, ["_primary_term"] = 1 };
            items.Add(new JsonObject { ["create"] = item });
        }
        return new JsonObject { ["took"] = 1, ["errors"] = RejectedItems.Count > 0, ["items"] = items }.ToJsonString();
    }

    private void CompleteWaiters()
    {
        foreach (var (count, answered) in _waiters)
        {
            if (_answered >= count)
            {
                answered.TrySetResult();
            }
        }
    }
}
