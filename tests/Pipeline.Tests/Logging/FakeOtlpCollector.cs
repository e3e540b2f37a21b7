using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using Pipeline.Tests.Support;

namespace Pipeline.Tests.Logging;

/// <summary>An OTLP/HTTP collector on 127.0.0.1 (ephemeral port): keeps each /v1/logs body and answers an empty success.</summary>
internal sealed class FakeOtlpCollector : IAsyncDisposable
{
    private WebApplication _app = null!;
    private readonly Lock _lock = new();
    private readonly List<byte[]> _bodies = [];

    private FakeOtlpCollector()
    {
    }

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
        var collector = new FakeOtlpCollector();
        (collector._app, collector.Uri) = await LoopbackServer.StartAsync(app => app.MapPost("/v1/logs", collector.ExportAsync));
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
