using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Loki;

/// <summary>Loki's push endpoint on 127.0.0.1 (ephemeral port): records every push, decoded, and answers what the test says.</summary>
internal sealed class FakeLoki : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Push> _pushes = [];
    private WebApplication _app = null!;

    private FakeLoki()
    {
    }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The status, body and Retry-After of the next answers; 204 and no body, as Loki, by default.</summary>
    public (int Status, string Body, string? RetryAfter) Answer { get; set; } = (204, "", null);

    public IReadOnlyList<Push> Pushes
    {
        get
        {
            lock (_gate)
            {
                return [.. _pushes];
            }
        }
    }

    public static async Task<FakeLoki> StartAsync()
    {
        var loki = new FakeLoki();
        (loki._app, var address) = await LoopbackServer.StartAsync(app => app.MapPost("/loki/api/v1/push", loki.PushAsync));
        loki.Endpoint = address;
        return loki;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task PushAsync(HttpContext http)
    {
        var answer = Answer;
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
            _pushes.Add(new Push(headers, raw.ToArray(), JsonDocument.Parse(decoded.ToArray()).RootElement.Clone()));
        }
        http.Response.StatusCode = answer.Status;
        if (answer.RetryAfter is { } after)
        {
            http.Response.Headers.RetryAfter = after;
        }
        if (answer.Body.Length > 0)
        {
            // Not for a 204: Kestrel refuses a body there and drops the connection, which the client's pool would reuse.
            await http.Response.WriteAsync(answer.Body, http.RequestAborted);
        }
    }

    /// <param name="Body">The push body, decoded: { streams: [ { stream: {labels}, values: [[ns, line, metadata?]] } ] }.</param>
    internal sealed record Push(IReadOnlyDictionary<string, string> Headers, byte[] RawBody, JsonElement Body)
    {
        /// <summary>Each stream's labels and its entries, in body order.</summary>
        public IReadOnlyList<(Dictionary<string, string> Labels, IReadOnlyList<JsonElement> Values)> Streams
            => [.. Body.GetProperty("streams").EnumerateArray().Select(s => (
                s.GetProperty("stream").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                (IReadOnlyList<JsonElement>)[.. s.GetProperty("values").EnumerateArray()]))];
    }
}
