using System.Runtime.CompilerServices;
using Grpc.Core;
using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Otlp;

/// <summary>
/// OTLP/gRPC: the LogsService's Export call, through the invoker of the one <see cref="Grpc.Net.Client.GrpcChannel"/>
/// that every isolate of the sink shares (HTTP/2 multiplexes their calls over its connections).
/// </summary>
/// <remarks>
/// The call is made through a method of our own whose request marshaller writes the bytes the encoder already made,
/// instead of the generated client, which would need an ExportLogsServiceRequest object graph.
/// </remarks>
internal sealed class OtlpGrpcTransport : IOtlpLogsTransport
{
    private const string ServiceName = "opentelemetry.proto.collector.logs.v1.LogsService";
    private const string CompressionHeader = "grpc-internal-encoding-request";
    private const string StatusDetailsTrailer = "grpc-status-details-bin";

    // gRPC's messages are reference types: the bytes go in a box each isolate reuses (it makes one call at a time).
    private static readonly Marshaller<StrongBox<ReadOnlyMemory<byte>>> RequestMarshaller = new(
        static (box, context) =>
        {
            var request = box.Value;
            context.SetPayloadLength(request.Length);
            var writer = context.GetBufferWriter();
            request.Span.CopyTo(writer.GetSpan(request.Length));
            writer.Advance(request.Length);
            context.Complete();
        },
        static _ => throw new NotSupportedException("the otlp sink only sends requests"));

    private static readonly Marshaller<StrongBox<OtlpPartialSuccess>> ResponseMarshaller = new(
        static (_, _) => throw new NotSupportedException("the otlp sink only reads responses"),
        static context => new(OtlpPartialSuccess.Read(context.PayloadAsNewBuffer())));

    private static readonly Method<StrongBox<ReadOnlyMemory<byte>>, StrongBox<OtlpPartialSuccess>> Export =
        new(MethodType.Unary, ServiceName, "Export", RequestMarshaller, ResponseMarshaller);

    private readonly CallInvoker _invoker;
    private readonly OtlpExportSettings _settings;
    private readonly HttpClientSpan _clientSpan;
    private readonly StrongBox<ReadOnlyMemory<byte>> _request = new();

    public OtlpGrpcTransport(OtlpExportSettings settings, CallInvoker invoker)
    {
        _settings = settings;
        _invoker = invoker;
        _clientSpan = new HttpClientSpan(HttpMethod.Post.Method, new Uri(settings.Endpoint, $"/{ServiceName}/Export"));
    }

    public async Task<OtlpPartialSuccess> ExportAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var headers = new Metadata();
        foreach (var (name, value) in _settings.Headers)
        {
            headers.Add(name, value);
        }
        if (_settings.Gzip)
        {
            headers.Add(CompressionHeader, "gzip");
        }
        _clientSpan.RecordRequest();
        _request.Value = request;
        try
        {
            var answer = await _invoker.AsyncUnaryCall(Export, null, new CallOptions(headers, DateTime.UtcNow + _settings.Timeout, cancellationToken), _request)
                .ConfigureAwait(false);
            HttpClientSpan.RecordResponse(200);
            return answer.Value;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the export was cancelled: the sink is stopping", e, cancellationToken);
        }
        catch (RpcException e)
        {
            throw Outcome(e);
        }
        finally
        {
            _request.Value = default;
        }
    }

    /// <summary>
    /// The OTLP specification's retryable codes (https://opentelemetry.io/docs/specs/otlp/#failures): CANCELLED,
    /// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and RESOURCE_EXHAUSTED (the receiver is
    /// overloaded, docs/otlp.md says why always); every other code is permanent.
    /// </summary>
    private Exception Outcome(RpcException e)
    {
        var details = e.Trailers.GetValueBytes(StatusDetailsTrailer);
        var message = $"OTLP/gRPC export to {_settings.Endpoint} failed: {e.StatusCode} ({StatusText(e.Status.Detail, details)})";
        if (e.Status.DebugException is HttpRequestException or IOException)
        {
            // No answer from the receiver at all: the connection or its TLS handshake failed on our side, which the
            // client reports as Internal or Unavailable. An outage, as the http sink treats it (a certificate may be
            // renewed, a proxy come back).
            return new RetryableFailureException(message, e);
        }
        return e.StatusCode switch
        {
            StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.OutOfRange
                or StatusCode.Unavailable or StatusCode.DataLoss or StatusCode.ResourceExhausted
                => new RetryableFailureException(message, e) { RetryAfter = details is null ? null : RpcStatusDetails.RetryDelay(details) },
            _ => new PermanentFailureException(message, e),
        };
    }

    private static string StatusText(string detail, byte[]? details)
        => details is not null && RpcStatusDetails.Message(details) is { } message ? message : detail.Length > 0 ? detail : "no message";
}
