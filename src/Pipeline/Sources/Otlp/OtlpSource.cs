using System.Net;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Components;
using Pipeline.Sources.Http;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// Runs the otlp source's servers, gRPC and/or HTTP, each a Kestrel server of its own on its own address; both hand
/// their requests to one <see cref="OtlpLogsIngest"/>, so the limits are the source's, not each server's. On stop it
/// answers new requests UNAVAILABLE / 503, lets the requests in flight finish, and returns.
/// </summary>
/// <param name="grpcEndpoint">The gRPC server's address, or null for none.</param>
/// <param name="httpEndpoint">The HTTP server's address, or null for none.</param>
/// <param name="environment">Where the auth blocks' tokens_env are read.</param>
public sealed class OtlpSource(IPEndPoint? grpcEndpoint, IPEndPoint? httpEndpoint, OtlpSourceConfig config, Func<string, string?>? environment = null) : ISource
{
    private readonly TaskCompletionSource<IReadOnlyList<Uri>> _grpcListening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IReadOnlyList<Uri>> _httpListening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The gRPC server's addresses once it listens (the real port when port 0 was configured); empty when there is none.</summary>
    public Task<IReadOnlyList<Uri>> GrpcListening => _grpcListening.Task;

    /// <summary>The HTTP server's addresses once it listens; empty when there is none.</summary>
    public Task<IReadOnlyList<Uri>> HttpListening => _httpListening.Task;

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        var inFlight = IngestLimits.Budget(config.MaxInFlightBytes, config.MaxBody);
        var ingest = new OtlpLogsIngest(context, config.BackpressureTimeout, config.AcknowledgementsTimeout, new IngestLimiter(inFlight, config.MaxConcurrentRequests));
        var readEnvironment = environment ?? Environment.GetEnvironmentVariable;
        EmbeddedIngestServer? grpc = null;
        EmbeddedIngestServer? http = null;
        try
        {
            if (grpcEndpoint is not null)
            {
                var maxMessage = (int)config.MaxBody.Bytes;
                grpc = EmbeddedIngestServer.Create(context, grpcEndpoint, config.Grpc!.Tls, config.Grpc.Auth, readEnvironment, HttpProtocols.Http2, config.MaxBody.Bytes,
                    services =>
                    {
                        services.AddGrpc(o =>
                        {
                            o.MaxReceiveMessageSize = maxMessage;
                            // Failures are answered with a Status of the service's own making; the framework's detail would repeat it.
                            o.EnableDetailedErrors = false;
                        });
                        services.AddSingleton(new OtlpLogsGrpcService(ingest));
                        services.AddSingleton<IServiceMethodProvider<OtlpLogsGrpcService>, OtlpLogsMethodProvider>();
                    },
                    app => app.MapGrpcService<OtlpLogsGrpcService>());
            }
            if (httpEndpoint is not null)
            {
                var handler = new OtlpLogsHttpHandler(ingest, config.MaxBody.Bytes);
                http = EmbeddedIngestServer.Create(context, httpEndpoint, config.Http!.Tls, config.Http.Auth, readEnvironment, HttpProtocols.Http1AndHttp2, config.MaxBody.Bytes,
                    _ => { },
                    app => app.Map(OtlpLogsHttpHandler.Path, handler.HandleAsync));
            }
        }
        catch (Exception ex)
        {
            await DisposeAsync(grpc, http).ConfigureAwait(false);
            _grpcListening.TrySetException(ex);
            _httpListening.TrySetException(ex);
            throw;
        }

        try
        {
            var grpcUrls = await StartAsync(grpc, _grpcListening, "otlp source's grpc server", stopping).ConfigureAwait(false);
            var httpUrls = await StartAsync(http, _httpListening, "otlp source's http server", stopping).ConfigureAwait(false);
            context.ReportListening();
            context.Logger.Information("{ComponentId} accepts OTLP logs on {GrpcUrls} (gRPC) and {HttpUrls} (POST {Path})", context.ComponentId,
                grpcUrls.Count == 0 ? "no address" : string.Join(", ", grpcUrls), httpUrls.Count == 0 ? "no address" : string.Join(", ", httpUrls), OtlpLogsHttpHandler.Path);
            try
            {
                await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            ingest.BeginShutdown();
            await Task.WhenAll(grpc?.StopAsync() ?? Task.CompletedTask, http?.StopAsync() ?? Task.CompletedTask).ConfigureAwait(false);
        }
        finally
        {
            _grpcListening.TrySetCanceled(CancellationToken.None);
            _httpListening.TrySetCanceled(CancellationToken.None);
            await DisposeAsync(grpc, http).ConfigureAwait(false);
        }
    }

    private static async Task<IReadOnlyList<Uri>> StartAsync(
        EmbeddedIngestServer? server, TaskCompletionSource<IReadOnlyList<Uri>> listening, string what, CancellationToken stopping)
    {
        if (server is null)
        {
            listening.TrySetResult([]);
            return [];
        }
        try
        {
            var urls = await server.StartAsync(what, stopping).ConfigureAwait(false);
            listening.TrySetResult(urls);
            return urls;
        }
        catch (Exception ex)
        {
            listening.TrySetException(ex);
            throw;
        }
    }

    private static async Task DisposeAsync(EmbeddedIngestServer? grpc, EmbeddedIngestServer? http)
    {
        if (grpc is not null)
        {
            await grpc.DisposeAsync().ConfigureAwait(false);
        }
        if (http is not null)
        {
            await http.DisposeAsync().ConfigureAwait(false);
        }
    }
}
