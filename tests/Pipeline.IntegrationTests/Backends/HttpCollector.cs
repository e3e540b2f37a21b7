using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// The far end of the pipeline's http sink: a quiet Kestrel app on a free loopback port that answers 200 to every
/// NDJSON batch and keeps the lines it received.
/// </summary>
internal sealed class HttpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _lines;

    private HttpCollector(WebApplication app, ConcurrentQueue<string> lines, Uri address)
    {
        _app = app;
        _lines = lines;
        Address = address;
    }

    /// <summary>Where the sink posts: http://127.0.0.1:PORT/ingest.</summary>
    public Uri Address { get; }

    public IReadOnlyCollection<string> Lines => _lines;

    public static async Task<HttpCollector> StartAsync()
    {
        var lines = new ConcurrentQueue<string>();
        var (app, address) = await LoopbackServer.StartAsync(app => app.MapPost("/ingest", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length > 0)
                {
                    lines.Enqueue(line);
                }
            }
            return Results.Ok();
        }));
        return new HttpCollector(app, lines, new Uri(address, "/ingest"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
