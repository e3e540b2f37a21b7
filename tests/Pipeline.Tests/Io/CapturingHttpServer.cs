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

    private CapturingHttpServer()
    {
    }

    public Uri Uri { get; private set; } = null!;

    public int StatusToAnswer { get; set; } = StatusCodes.Status200OK;

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
            _requests.Add(new CapturedRequest(headers, raw.ToArray(), decoded.ToArray()));
        }
        http.Response.StatusCode = StatusToAnswer;
        await http.Response.WriteAsync(StatusToAnswer == 200 ? "ok" : "rejected by test", http.RequestAborted);
    }
}
