using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sources.Http;

/// <summary>
/// Runs a Kestrel server of its own on the configured address and hands every POST to an
/// <see cref="HttpIngestHandler"/>. On stop it answers new requests 503, lets the requests in flight finish, and returns.
/// </summary>
public sealed class HttpSource : ISource
{
    private static readonly TimeSpan InFlightGracePeriod = TimeSpan.FromSeconds(10);

    private readonly IPEndPoint _endpoint;
    private readonly string _path;
    private readonly long _maxBody;
    private readonly TimeSpan _backpressureTimeout;
    private readonly FieldPath? _traceparentField;
    private readonly TaskCompletionSource<IReadOnlyList<Uri>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HttpSource(IPEndPoint endpoint, string path, long maxBody, TimeSpan backpressureTimeout, FieldPath? traceparentField = null)
    {
        _traceparentField = traceparentField;
        _endpoint = endpoint;
        _path = path;
        _maxBody = maxBody;
        _backpressureTimeout = backpressureTimeout;
    }

    /// <summary>
    /// Completes with the addresses the server actually listens on (the real port when port 0 was configured),
    /// or faults when it could not start.
    /// </summary>
    public Task<IReadOnlyList<Uri>> Listening => _listening.Task;

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        var handler = new HttpIngestHandler(context, _maxBody, _backpressureTimeout, _traceparentField);
        WebApplication app;
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            // Component failures surface as exceptions to the runtime, which logs them; Kestrel's own console
            // logging would also mix into standard output, where the stdout sink writes events.
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IHostLifetime, EmbeddedServerLifetime>();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = InFlightGracePeriod);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = _maxBody;
                kestrel.Listen(_endpoint);
            });
            app = builder.Build();
            handler.MapTo(app, _path);
        }
        catch (Exception ex)
        {
            _listening.TrySetException(ex);
            throw;
        }

        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _listening.TrySetException(new InvalidOperationException($"http source could not listen on {_endpoint}: {ex.Message}", ex));
                throw;
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            _listening.TrySetResult([.. addresses.Select(a => new Uri(a))]);
            context.Logger.Information("{ComponentId} accepts events on {Urls} (POST {Path})", context.ComponentId, string.Join(", ", addresses), _path);

            try
            {
                await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            handler.BeginShutdown();
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
