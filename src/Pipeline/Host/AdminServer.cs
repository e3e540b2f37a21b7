using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Sources.Http;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Prometheus;
using Serilog;

namespace Pipeline.Host;

/// <summary>
/// The admin port: <c>/healthz</c> (the process answers), <c>/readyz</c> (every stage running and not shutting
/// down), <c>/metrics</c> (Prometheus text, or OpenMetrics when asked) and <c>/topology</c> (the DAG as JSON).
/// Kept apart from ingest so that a flood of events never starves the probes.
/// </summary>
public sealed class AdminServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminServer(WebApplication app) => _app = app;

    /// <summary>The addresses Kestrel bound, with the real port when the config asked for port 0.</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    public static async Task<AdminServer> StartAsync(string address, RunningTopology topology, PipelineMetrics metrics, Serilog.ILogger logger, CancellationToken cancellationToken)
    {
        // The empty builder: no appsettings.json, no ASPNETCORE_ variables and no file watcher on the working directory
        // (the slim builder's watcher woke on every write a file sink made there: 5 % of the CPU of a stdin -> file run).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Services.AddSerilog(logger);
        // The probes must keep answering while the pipeline drains: the service host, not a console lifetime of
        // the admin server's own, decides when it stops.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedServerLifetime>();
        builder.WebHost.UseUrls(ToUrl(address));
        var app = builder.Build();

        // Plain request delegates, not minimal-API handlers: those are compiled at start-up by RequestDelegateFactory
        // into expression trees and dynamic methods (JIT work and code memory, Microsoft.Extensions.Validation and
        // the results assembly loaded) for five endpoints that each write one small response.
        app.MapGet("/healthz", http => WriteTextAsync(http, StatusCodes.Status200OK, "ok\n"));
        app.MapGet("/readyz", http => topology.IsReady
            ? WriteTextAsync(http, StatusCodes.Status200OK, "ready\n")
            : WriteTextAsync(http, StatusCodes.Status503ServiceUnavailable, $"not ready: {topology.FailureReason ?? "starting or shutting down"}\n"));
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

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new AdminServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A plain-text answer, as <c>Results.Text</c> writes it (UTF-8, <c>text/plain; charset=utf-8</c>).</summary>
    internal static Task WriteTextAsync(HttpContext http, int statusCode, string text)
    {
        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(text, http.RequestAborted);
    }

    /// <summary>Accepts "host:port" as written in YAML (as Vector does) as well as full URLs.</summary>
    internal static string ToUrl(string address)
    {
        if (address.Contains("://", StringComparison.Ordinal))
        {
            return address;
        }
        var colon = address.LastIndexOf(':');
        var host = colon > 0 ? address[..colon] : address;
        var port = colon > 0 ? address[(colon + 1)..] : "9464";
        // Kestrel's "0.0.0.0" binds IPv4 only; "*" would also take IPv6. Keep what the user wrote.
        if (host.Length == 0 || host == "*")
        {
            host = IPAddress.Any.ToString();
        }
        return $"http://{host}:{port}";
    }
}
