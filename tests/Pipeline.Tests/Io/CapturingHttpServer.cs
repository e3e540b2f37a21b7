using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using Pipeline.Tests.Support;

namespace Pipeline.Tests.Io;

/// <summary>A Kestrel server on 127.0.0.1 (ephemeral port) that records every POST and answers a chosen status.</summary>
internal sealed class CapturingHttpServer : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly Lock _gate = new();
    private readonly List<CapturedRequest> _requests = [];

    /// <summary>Backs <see cref="StatusToAnswer"/>: written by the test, read by Kestrel's threads.</summary>
    private int _status = StatusCodes.Status200OK;

    private CapturingHttpServer()
    {
    }

    public Uri Uri { get; private set; } = null!;

    /// <summary>The status every request is answered with from now on; a test switches it to stage an outage or a rejection.</summary>
    public int StatusToAnswer
    {
        get => Volatile.Read(ref _status);
        set => Volatile.Write(ref _status, value);
    }

    /// <summary>A Retry-After header value to answer with, if any.</summary>
    public string? RetryAfterToAnswer { get; set; }

    public IReadOnlyList<CapturedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<CapturingHttpServer> StartAsync()
    {
        var server = new CapturingHttpServer();
        (server._app, var address) = await LoopbackServer.StartAsync(app => app.MapPost("/ingest", server.CaptureAsync));
        server.Uri = new Uri(address, "/ingest");
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task CaptureAsync(HttpContext http)
    {
        // Read once: a test may switch it while the request is read, and the record must say what was answered.
        var status = StatusToAnswer;
        var gzip = http.Request.Headers.ContentEncoding.ToString() == "gzip";
        using var raw = new MemoryStream();
        await http.Request.Body.CopyToAsync(raw, http.RequestAborted);
        raw.Position = 0;
        using var decoded = new MemoryStream();
        if (gzip)
        {
            await using var unzip = new GZipStream(raw, CompressionMode.Decompress);
            await unzip.CopyToAsync(decoded, http.RequestAborted);
        }
        else
        {
            await raw.CopyToAsync(decoded, http.RequestAborted);
        }
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        lock (_gate)
        {
            _requests.Add(new CapturedRequest(headers, raw.ToArray(), decoded.ToArray(), status));
        }
        http.Response.StatusCode = status;
        if (RetryAfterToAnswer is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter;
        }
        await http.Response.WriteAsync(status == 200 ? "ok" : "rejected by test", http.RequestAborted);
    }
}
