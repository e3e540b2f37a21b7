using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var lines = new ConcurrentQueue<string>();
        app.MapPost("/ingest", async (HttpRequest request) =>
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
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new HttpCollector(app, lines, new Uri(new Uri(address), "/ingest"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
