using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Components;
using Pipeline.Security;
using Pipeline.Sources.Http;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Prometheus;
using Serilog;

namespace Pipeline.Host;

/// <summary>
/// The admin port: <c>/healthz</c> (the process answers), <c>/readyz</c> (every stage running, every source that receives
/// requests listening, and not shutting down), <c>/metrics</c> (Prometheus text, or OpenMetrics when asked), <c>/topology</c> (the DAG as JSON) and
/// <c>POST /reload</c> (re-read the config file and apply it; a mutating endpoint, so it needs admin.auth's token).
/// Kept apart from ingest so that a flood of events never starves the probes.
/// </summary>
public sealed class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ReloadingServerCertificate? _certificate;
    private readonly RequestAuthenticator? _authenticator;

    private AdminServer(WebApplication app, ReloadingServerCertificate? certificate, RequestAuthenticator? authenticator)
    {
        _app = app;
        _certificate = certificate;
        _authenticator = authenticator;
    }

    /// <summary>The addresses Kestrel bound, with the real port when the config asked for port 0.</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    /// <summary>Plain HTTP on <paramref name="address"/>, no tokens: mutating endpoints are refused.</summary>
    public static Task<AdminServer> StartAsync(string address, RunningTopology topology, PipelineMetrics metrics, Serilog.ILogger logger, CancellationToken cancellationToken)
        => StartAsync(new AdminSettings { Address = address }, topology, metrics, logger, cancellationToken);

    /// <param name="environment">Where admin.auth's tokens_env are read; the process's by default.</param>
    /// <param name="reloader">Answers <c>POST /reload</c>; null answers it 404, as for a topology that cannot reload.</param>
    public static async Task<AdminServer> StartAsync(
        AdminSettings settings, RunningTopology topology, PipelineMetrics metrics, Serilog.ILogger logger, CancellationToken cancellationToken,
        Func<string, string?>? environment = null, TopologyReloader? reloader = null)
    {
        if (!ListenAddress.TryParse(settings.Address, out var address))
        {
            throw new ArgumentException($"admin address: expected {ListenAddress.Expected}, found '{settings.Address}'", nameof(settings));
        }
        var security = metrics.ForSecurity(topology.PipelineName, "admin");
        var certificate = settings.Tls is { } tls ? new ReloadingServerCertificate(tls, security, logger) : null;
        var authenticator = settings.Auth is { } auth ? new RequestAuthenticator(auth, environment ?? Environment.GetEnvironmentVariable, security, logger) : null;
        // The empty builder: no appsettings.json, no ASPNETCORE_ variables and no file watcher on the working directory
        // (the slim builder's watcher woke on every write a file sink made there: 5 % of the CPU of a stdin -> file run).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Services.AddSerilog(logger);
        // The probes must keep answering while the pipeline drains: the service host, not a console lifetime of
        // the admin server's own, decides when it stops.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedServerLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address.EndPoint, listen => certificate?.Apply(listen));
        });
        var app = builder.Build();
        var notConfigured = security.AuthFailures(SecurityInstruments.NotConfigured);
        var notLoopback = security.AuthFailures(SecurityInstruments.NotLoopback);
        app.Use(next => http => Admit(http, settings, authenticator, notConfigured, notLoopback, next));

        // Plain request delegates, not minimal-API handlers: those are compiled at start-up by RequestDelegateFactory
        // into expression trees and dynamic methods (JIT work and code memory, Microsoft.Extensions.Validation and
        // the results assembly loaded) for five endpoints that each write one small response.
        app.MapGet("/healthz", http => WriteTextAsync(http, StatusCodes.Status200OK, "ok\n"));
        app.MapGet("/readyz", http => topology.IsReady
            ? WriteTextAsync(http, StatusCodes.Status200OK, "ready\n")
            : WriteTextAsync(http, StatusCodes.Status503ServiceUnavailable, $"not ready: {topology.FailureReason ?? "starting (or a source's ports not listening yet) or shutting down"}\n"));
        app.MapMetrics(
            settings =>
            {
                settings.Registry = metrics.Registry;
                // OpenMetrics (when the scraper sends Accept: application/openmetrics-text) is the format that
                // carries exemplars, the link from a slow histogram bucket to the trace of a real event.
                settings.EnableOpenMetrics = true;
            },
            "/metrics");
        app.MapGet("/topology", async http =>
        {
            var snapshot = await topology.SnapshotWithRatesAsync(http.RequestAborted).ConfigureAwait(false);
            await http.Response.WriteAsJsonAsync(snapshot, AdminJson.Default.TopologySnapshot, cancellationToken: http.RequestAborted).ConfigureAwait(false);
        });
        LogLevelEndpoint.Map(app, logger);
        TapEndpoint.Map(app, topology);
        if (reloader is not null)
        {
            app.MapPost("/reload", async http =>
            {
                var answer = await reloader.ReloadAsync("POST /reload").ConfigureAwait(false);
                http.Response.StatusCode = answer.Result switch
                {
                    ReloadAnswer.AppliedResult or ReloadAnswer.UnchangedResult => StatusCodes.Status200OK,
                    ReloadAnswer.RejectedResult => StatusCodes.Status422UnprocessableEntity,
                    _ => StatusCodes.Status409Conflict,
                };
                await http.Response.WriteAsJsonAsync(answer, AdminJson.Default.ReloadAnswer, cancellationToken: http.RequestAborted).ConfigureAwait(false);
            });
        }

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new AdminServer(app, certificate, authenticator);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate?.Dispose();
        _authenticator?.Dispose();
    }

    /// <summary>
    /// Read-only requests pass (unless protect_read_only); anything that changes the service needs a token, and is
    /// refused 403 when admin.auth is not configured at all: no token can be right then. /tap reads, but what it reads
    /// is the events themselves: it needs the token when admin.auth is configured, and else a loopback client (kubectl
    /// port-forward and kubectl exec arrive on loopback), since a Pod's admin port is open to the whole cluster.
    /// </summary>
    private static Task Admit(
        HttpContext http, AdminSettings settings, RequestAuthenticator? authenticator, MetricCounter notConfigured, MetricCounter notLoopback, RequestDelegate next)
    {
        var method = http.Request.Method;
        var readOnly = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        var showsEvents = http.Request.Path.StartsWithSegments(TapEndpoint.Path, StringComparison.Ordinal);
        if (readOnly && !settings.ProtectReadOnly && !showsEvents)
        {
            return next(http);
        }
        if (authenticator is null && showsEvents)
        {
            if (http.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
            {
                return next(http);
            }
            notLoopback.Inc();
            return WriteTextAsync(http, StatusCodes.Status403Forbidden,
                $"{http.Request.Path} shows event contents, so without admin.auth it answers loopback clients only (kubectl port-forward, kubectl exec), not {http.Connection.RemoteIpAddress}: configure admin.auth (docs/security.md)\n");
        }
        if (authenticator is null)
        {
            notConfigured.Inc();
            http.Response.Headers.Connection = "close";
            return WriteTextAsync(http, StatusCodes.Status403Forbidden,
                $"{method} {http.Request.Path} changes the service, so it needs a token: configure admin.auth (docs/security.md)\n");
        }
        return authenticator.IsAuthenticated(http) ? next(http) : authenticator.RefuseAsync(http);
    }

    /// <summary>A plain-text answer, as <c>Results.Text</c> writes it (UTF-8, <c>text/plain; charset=utf-8</c>).</summary>
    internal static Task WriteTextAsync(HttpContext http, int statusCode, string text)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(text, http.RequestAborted);
    }
}
