using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pipeline.Tests.Logging;

/// <summary>An OTLP/HTTP collector on 127.0.0.1 (ephemeral port): keeps each /v1/logs body and answers an empty success.</summary>
internal sealed class FakeOtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<byte[]> _bodies = [];

    private FakeOtlpCollector(WebApplication app) => _app = app;

    public Uri Uri { get; private set; } = null!;

    public IReadOnlyList<byte[]> LogExports
    {
        get
        {
            lock (_lock)
            {
                return [.. _bodies];
            }
        }
    }

    public static async Task<FakeOtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var collector = new FakeOtlpCollector(app);
        app.MapPost("/v1/logs", collector.ExportAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        collector.Uri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return collector;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task ExportAsync(HttpContext http)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        lock (_lock)
        {
            _bodies.Add(body.ToArray());
        }
        // An empty ExportLogsServiceResponse: full success.
        http.Response.ContentType = "application/x-protobuf";
        http.Response.StatusCode = StatusCodes.Status200OK;
    }
}
