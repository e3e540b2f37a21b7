using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Logs.V1;
using Pipeline.Telemetry;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// OTLP's LogsService/Export on the otlp source's gRPC server, bound by <see cref="OtlpLogsMethodProvider"/> with the
/// source's own request marshaller (<see cref="OtlpGrpcPayload"/>) rather than as LogsService.LogsServiceBase, so a request that does not decode is
/// answered INVALID_ARGUMENT and dead-lettered. The method's name and the messages are the generated ones.
/// </summary>
/// <remarks>
/// Answers as the OTLP specification's gRPC section asks: OK with partial_success naming rejected records (not to be
/// retried); RESOURCE_EXHAUSTED with RetryInfo under backpressure or over the limits (the delay makes it retryable);
/// UNAVAILABLE with RetryInfo when the pipeline stops or acknowledgements time out; INVALID_ARGUMENT for a request
/// that does not decode (not retryable).
/// </remarks>
internal sealed class OtlpLogsGrpcService(OtlpLogsIngest ingest)
{
    internal static readonly Method<OtlpGrpcPayload, ExportLogsServiceResponse> ExportMethod = new(
        MethodType.Unary,
        LogsService.Descriptor.FullName,
        LogsService.Descriptor.Methods[0].Name,
        OtlpGrpcPayload.Marshaller,
        Marshallers.Create<ExportLogsServiceResponse>(r => r.ToByteArray(), ExportLogsServiceResponse.Parser.ParseFrom));

    /// <summary>The path gRPC calls, for the ingest span's attributes.</summary>
    private static readonly string ExportPath = ExportMethod.FullName;

    public async Task<ExportLogsServiceResponse> Export(OtlpGrpcPayload payload, ServerCallContext call)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(call);
        var context = ingest.Context;
        if (ingest.ShuttingDown)
        {
            throw Failure(Code.Unavailable, "the pipeline is shutting down; nothing was accepted", ingest.RetryAfter);
        }
        if (payload.Request is not { } request)
        {
            ingest.ReportMalformed(payload.Error!, payload.Raw, protobuf: true);
            throw Failure(Code.InvalidArgument, payload.Error!, retryAfter: null);
        }
        if (context.MemoryLimited)
        {
            context.ReportRefused("the process is above its memory limiter's soft limit");
            throw Failure(Code.Unavailable, "the pipeline is above its memory limit (memory_limiter); nothing was accepted, retry later", ingest.RetryAfter);
        }
        var limiter = ingest.Limiter;
        if (!limiter.TryReserve(payload.Size))
        {
            context.ReportRefused($"{limiter.MaxRequests} requests or {limiter.MaxBytes} bytes in flight (max_concurrent_requests, max_in_flight_bytes)");
            throw Failure(Code.ResourceExhausted,
                $"too many requests or bytes in flight (max_concurrent_requests {limiter.MaxRequests}, max_in_flight_bytes {limiter.MaxBytes}); nothing was accepted",
                ingest.RetryAfter);
        }
        try
        {
            if (PipelineTracing.Source.HasListeners())
            {
                HttpServerRequest.Current = new HttpServerRequest("POST", call.GetHttpContext().Request.Scheme, ExportPath, ExportPath);
            }
            var result = await ingest.ExportAsync(request, call.CancellationToken).ConfigureAwait(false);
            return result.Outcome switch
            {
                OtlpExportOutcome.Accepted => Response(result),
                OtlpExportOutcome.Backpressure => throw Failure(Code.ResourceExhausted, result.Message!, ingest.RetryAfter),
                _ => throw Failure(Code.Unavailable, result.Message!, ingest.RetryAfter),
            };
        }
        catch (Exception ex) when (ex is not RpcException && !(ex is OperationCanceledException && call.CancellationToken.IsCancellationRequested))
        {
            // The framework would answer UNKNOWN and log nothing (Kestrel's logging is off, to keep stdout for events).
            context.ReportRequestFailed(ex, Activity.Current?.TraceId.ToHexString());
            throw Failure(Code.Internal, $"internal error: {ex.GetType().Name}: {ex.Message}", retryAfter: null);
        }
        finally
        {
            limiter.Release(payload.Size);
        }
    }

    internal static ExportLogsServiceResponse Response(OtlpExportResult result)
        => result.Rejected == 0
            ? new ExportLogsServiceResponse()
            : new ExportLogsServiceResponse { PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = result.Rejected, ErrorMessage = result.Message ?? "" } };

    /// <summary>A google.rpc.Status, with RetryInfo when the client may retry after a delay (OTLP: that is what makes RESOURCE_EXHAUSTED retryable).</summary>
    internal static Google.Rpc.Status Status(Code code, string message, TimeSpan? retryAfter)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        if (retryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }
        return status;
    }

    private static RpcException Failure(Code code, string message, TimeSpan? retryAfter) => Status(code, message, retryAfter).ToRpcException();
}
