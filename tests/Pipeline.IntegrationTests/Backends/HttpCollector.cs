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

    /// <summary>While true the backend is down: it answers 503 and keeps nothing (the sink retries).</summary>
    public bool Down { get; set; }

    /// <summary>Requests answered 503 because the backend was down.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    public static async Task<HttpCollector> StartAsync(bool down = false)
    {
        var lines = new ConcurrentQueue<string>();
        HttpCollector? collector = null;
        var (app, address) = await LoopbackServer.StartAsync(app => app.MapPost("/ingest", async (HttpRequest request) =>
        {
            if (collector is { Down: true })
            {
                Interlocked.Increment(ref collector._refused);
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }
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
        collector = new HttpCollector(app, lines, new Uri(address, "/ingest")) { Down = down };
        return collector;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
