using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Logs.V1;
using Pipeline.Sinks.Otlp;

namespace Pipeline.Tests.Otlp;

/// <summary>
/// An OTLP logs receiver in the test process, on loopback ports chosen by the system: gRPC (HTTP/2 without TLS) and
/// HTTP/protobuf (<c>/v1/logs</c>). It records every request and answers from a script, then with success.
/// </summary>
internal sealed class FakeOtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Answer> _script = new();

    private FakeOtlpReceiver(WebApplication app, Uri grpc, Uri http)
    {
        _app = app;
        GrpcEndpoint = grpc;
        HttpEndpoint = http;
    }

    public Uri GrpcEndpoint { get; }

    /// <summary>The base URL; the logs go to /v1/logs under it.</summary>
    public Uri HttpEndpoint { get; }

    /// <summary>Every request received, failed ones too, in order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    public IEnumerable<OpenTelemetry.Proto.Logs.V1.LogRecord> Records(bool succeededOnly = true)
        => Requests.Where(r => !succeededOnly || r.Succeeded).SelectMany(r => r.Request.ResourceLogs).SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords);

    /// <summary>The next requests get these answers, in order; after them, success.</summary>
    public void Script(params Answer[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    /// <param name="tlsCertificate">When given, gRPC is served over TLS with it (the endpoint is https://).</param>
    public static async Task<FakeOtlpReceiver> StartAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? tlsCertificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o =>
            {
                o.Protocols = HttpProtocols.Http2;
                if (tlsCertificate is not null)
                {
                    o.UseHttps(tlsCertificate);
                }
            });
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc();
        var holder = new ReceiverHolder();
        builder.Services.AddSingleton(holder);
        var app = builder.Build();
        app.MapGrpcService<ScriptedLogsService>();
        app.MapPost("/v1/logs", (HttpContext context) => holder.Receiver!.AnswerHttpAsync(context));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        // Kestrel lists the endpoints in the order they were configured.
        var receiver = new FakeOtlpReceiver(app, addresses[0], addresses[1]);
        holder.Receiver = receiver;
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private Answer Next() => _script.TryDequeue(out var answer) ? answer : Answer.Ok;

    private async Task AnswerHttpAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        var input = context.Request.Headers.ContentEncoding == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
        await input.CopyToAsync(body);
        var request = ExportLogsServiceRequest.Parser.ParseFrom(body.ToArray());
        var answer = Next();
        Requests.Enqueue(new Received(request, context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), answer.HttpStatus is null, context.Request.ContentType));
        if (answer.HttpStatus is { } status)
        {
            context.Response.StatusCode = status;
            if (answer.RetryAfterSeconds is { } after)
            {
                context.Response.Headers.RetryAfter = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.WriteAsync(Status(StatusCode.InvalidArgument, answer.Message, null));
            return;
        }
        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(Response(answer).ToByteArray());
    }

    private ExportLogsServiceResponse AnswerGrpc(ExportLogsServiceRequest request, ServerCallContext context)
    {
        var answer = Next();
        Requests.Enqueue(new Received(request, context.GetHttpContext().Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), answer.GrpcStatus is null, null));
        if (answer.GrpcStatus is { } code)
        {
            var trailers = new Metadata { { "grpc-status-details-bin", Status(code, answer.Message, answer.RetryAfterSeconds) } };
            throw new RpcException(new Status(code, answer.Message), trailers);
        }
        return Response(answer);
    }

    private static ExportLogsServiceResponse Response(Answer answer) => answer.Rejected > 0
        ? new ExportLogsServiceResponse { PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = answer.Rejected, ErrorMessage = answer.Message } }
        : new ExportLogsServiceResponse();

    /// <summary>A google.rpc.Status, with a RetryInfo among its details when a delay is given.</summary>
    private static byte[] Status(StatusCode code, string message, int? retryDelaySeconds)
    {
        var writer = new ProtobufWriter();
        writer.VarintField(1, (ulong)code);
        writer.BytesField(2, System.Text.Encoding.UTF8.GetBytes(message));
        if (retryDelaySeconds is { } seconds)
        {
            var any = writer.BeginMessage(3);
            writer.BytesField(1, "type.googleapis.com/google.rpc.RetryInfo"u8);
            var retryInfo = writer.BeginMessage(2);
            var delay = writer.BeginMessage(1);
            writer.VarintField(1, (ulong)seconds);
            writer.EndMessage(delay);
            writer.EndMessage(retryInfo);
            writer.EndMessage(any);
        }
        return writer.Written.ToArray();
    }

    /// <summary>What the receiver answers one request: success (with rejected records: a partial success), a gRPC status, or an HTTP status.</summary>
    internal sealed record Answer(StatusCode? GrpcStatus = null, int? HttpStatus = null, string Message = "", int? RetryAfterSeconds = null, long Rejected = 0)
    {
        public static Answer Ok { get; } = new();
    }

    internal sealed record Received(ExportLogsServiceRequest Request, IReadOnlyDictionary<string, string> Headers, bool Succeeded, string? ContentType);

    private sealed class ReceiverHolder
    {
        public FakeOtlpReceiver? Receiver { get; set; }
    }

    private sealed class ScriptedLogsService(ReceiverHolder holder) : LogsService.LogsServiceBase
    {
        public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
            => Task.FromResult(holder.Receiver!.AnswerGrpc(request, context));
    }
}
