using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Components;
using Pipeline.Security;

namespace Pipeline.Sources.Http;

/// <summary>
/// A Kestrel server of a source's own (the http source, each of the otlp source's two): one address, its TLS
/// certificate (re-read when it changes) and its token check in front of every route. Started and stopped by the
/// source; on stop the requests in flight get <see cref="InFlightGracePeriod"/> to finish.
/// </summary>
internal sealed class EmbeddedIngestServer : IAsyncDisposable
{
    private static readonly TimeSpan InFlightGracePeriod = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly ReloadingServerCertificate? _certificate;
    private readonly RequestAuthenticator? _authenticator;
    private readonly IPEndPoint _endpoint;

    private EmbeddedIngestServer(WebApplication app, ReloadingServerCertificate? certificate, RequestAuthenticator? authenticator, IPEndPoint endpoint)
    {
        _app = app;
        _certificate = certificate;
        _authenticator = authenticator;
        _endpoint = endpoint;
    }

    /// <param name="protocols">HTTP/2 alone for gRPC (so it speaks h2c on a plaintext port), else HTTP/1.1 and HTTP/2.</param>
    /// <param name="addServices">The services the routes need (gRPC's).</param>
    /// <param name="mapRoutes">The routes, after the token check.</param>
    public static EmbeddedIngestServer Create(
        ISourceContext context, IPEndPoint endpoint, ServerTlsSettings? tls, AuthSettings? auth, Func<string, string?> environment,
        HttpProtocols protocols, long maxBody, Action<IServiceCollection> addServices, Action<WebApplication> mapRoutes)
    {
        ReloadingServerCertificate? certificate = null;
        RequestAuthenticator? authenticator = null;
        try
        {
            var security = context.Metrics.CreateSecurityInstruments();
            // The files were checked at validate; read again here, as they are now.
            certificate = tls is not null ? new ReloadingServerCertificate(tls, security, context.Logger) : null;
            authenticator = auth is not null ? new RequestAuthenticator(auth, environment, security, context.Logger) : null;
            // The empty builder: no configuration files or variables of ASP.NET Core's own and no file watcher, and
            // no logging provider (Kestrel's console logging would mix into standard output, where the stdout sink
            // writes events). Component failures surface as exceptions to the runtime, which logs them.
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.WebHost.UseKestrelCore();
            builder.Services.AddRoutingCore();
            builder.Services.AddSingleton<IHostLifetime, EmbeddedServerLifetime>();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = InFlightGracePeriod);
            addServices(builder.Services);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = maxBody;
                kestrel.Listen(endpoint, listen =>
                {
                    listen.Protocols = protocols;
                    certificate?.Apply(listen);
                });
            });
            var app = builder.Build();
            if (authenticator is not null)
            {
                // Before routing: an unauthenticated request learns nothing, not even which paths exist.
                app.Use(authenticator.Guard);
            }
            mapRoutes(app);
            return new EmbeddedIngestServer(app, certificate, authenticator, endpoint);
        }
        catch
        {
            certificate?.Dispose();
            authenticator?.Dispose();
            throw;
        }
    }

    /// <summary>Starts listening; returns the addresses it listens on (the real port when port 0 was configured).</summary>
    /// <param name="what">The server, as the error names it: "http source", "otlp source's grpc server".</param>
    public async Task<IReadOnlyList<Uri>> StartAsync(string what, CancellationToken cancellationToken)
    {
        try
        {
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{what} could not listen on {_endpoint}: {ex.Message}", ex);
        }
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return [.. addresses.Select(a => new Uri(a))];
    }

    /// <summary>Stops accepting connections and waits for the requests in flight (at most the grace period).</summary>
    public Task StopAsync() => _app.StopAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate?.Dispose();
        _authenticator?.Dispose();
    }
}
