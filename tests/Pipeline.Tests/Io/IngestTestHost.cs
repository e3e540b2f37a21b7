using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Pipeline.Decoding;
using Pipeline.Sources.Http;

namespace Pipeline.Tests.Io;

/// <summary>An <see cref="HttpIngestHandler"/> mapped on an in-memory TestServer at /v1/events.</summary>
internal sealed class IngestTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private IngestTestHost(WebApplication app, HttpIngestHandler handler, HttpClient client)
    {
        _app = app;
        Handler = handler;
        Client = client;
    }

    public HttpIngestHandler Handler { get; }

    public HttpClient Client { get; }

    public static async Task<IngestTestHost> StartAsync(
        FakeSourceContext context, long maxBody = 1024 * 1024, TimeSpan? backpressureTimeout = null, long? maxInFlightBytes = null, int maxRequests = 128,
        DecodingCodec codec = DecodingCodec.Json, byte? delimiter = (byte)'\n')
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        var app = builder.Build();
        var handler = new HttpIngestHandler(context, maxBody, backpressureTimeout ?? TimeSpan.FromMilliseconds(1500),
            limiter: new IngestLimiter(maxInFlightBytes ?? maxBody * 4, maxRequests), codec: codec, delimiter: delimiter);
        handler.MapTo(app, "/v1/events");
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new IngestTestHost(app, handler, app.GetTestClient());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
    }
}
