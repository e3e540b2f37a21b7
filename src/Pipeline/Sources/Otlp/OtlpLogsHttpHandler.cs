using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using Google.Rpc;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Proto.Collector.Logs.V1;
using Pipeline.Sources.Http;
using Pipeline.Telemetry;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// POST /v1/logs on the otlp source's HTTP server: an ExportLogsServiceRequest as application/x-protobuf or
/// application/json (OTLP/JSON), optionally gzip; the answer in the request's encoding, as the OTLP specification's
/// OTLP/HTTP section asks.
/// </summary>
/// <remarks>
/// 200 with ExportLogsServiceResponse (partial_success naming rejected records); 400 with a google.rpc.Status for a
/// body that does not decode (counted and dead-lettered); 413 over max_body; 415 for another Content-Type or
/// Content-Encoding; 429 with Retry-After under backpressure or over the limits; 503 with Retry-After while stopping,
/// over the memory limit, or when acknowledgements time out. Every answer other than 200 carries a Status.
/// </remarks>
internal sealed class OtlpLogsHttpHandler(OtlpLogsIngest ingest, long maxBody)
{
    public const string Path = "/v1/logs";

    private enum Encoding
    {
        Protobuf,
        Json,
    }

    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var encoding = Encoding.Protobuf;
        try
        {
            encoding = TryGetEncoding(http.Request.ContentType, out var known) ? known : Encoding.Protobuf;
            await HandleRequestAsync(http).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            ingest.Context.ReportRequestFailed(ex, null);
            if (!http.Response.HasStarted)
            {
                http.Response.Clear();
                await WriteStatusAsync(http, encoding, StatusCodes.Status500InternalServerError, Code.Internal, $"internal error: {ex.GetType().Name}: {ex.Message}")
                    .ConfigureAwait(false);
            }
        }
    }

    private async Task HandleRequestAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            http.Response.Headers.Allow = "POST";
            await WriteStatusAsync(http, Encoding.Protobuf, StatusCodes.Status405MethodNotAllowed, Code.Unimplemented, $"method {request.Method} is not allowed here; expected POST")
                .ConfigureAwait(false);
            return;
        }
        if (!TryGetEncoding(request.ContentType, out var encoding))
        {
            await WriteStatusAsync(http, Encoding.Protobuf, StatusCodes.Status415UnsupportedMediaType, Code.InvalidArgument,
                $"unsupported Content-Type '{request.ContentType ?? "(none)"}'; expected application/x-protobuf or application/json").ConfigureAwait(false);
            return;
        }
        var contentEncoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = contentEncoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && contentEncoding.Length > 0 && !contentEncoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await WriteStatusAsync(http, encoding, StatusCodes.Status415UnsupportedMediaType, Code.InvalidArgument,
                $"unsupported Content-Encoding '{contentEncoding}'; expected gzip or none").ConfigureAwait(false);
            return;
        }
        if (ingest.ShuttingDown)
        {
            await WriteRetryAsync(http, encoding, StatusCodes.Status503ServiceUnavailable, Code.Unavailable, "the pipeline is shutting down; nothing was accepted").ConfigureAwait(false);
            return;
        }
        if (request.ContentLength > maxBody)
        {
            await WriteTooLargeAsync(http, encoding).ConfigureAwait(false);
            return;
        }
        var context = ingest.Context;
        // Refused before the body is read: reading it is what takes the memory.
        if (context.MemoryLimited)
        {
            context.ReportRefused("the process is above its memory limiter's soft limit");
            await WriteRetryAsync(http, encoding, StatusCodes.Status503ServiceUnavailable, Code.Unavailable,
                "the pipeline is above its memory limit (memory_limiter); nothing was accepted, retry later").ConfigureAwait(false);
            return;
        }
        var limiter = ingest.Limiter;
        var reserved = !gzip && request.ContentLength is { } declared ? declared : maxBody;
        if (!limiter.TryReserve(reserved))
        {
            context.ReportRefused($"{limiter.MaxRequests} requests or {limiter.MaxBytes} bytes of bodies in flight (max_concurrent_requests, max_in_flight_bytes)");
            await WriteRetryAsync(http, encoding, StatusCodes.Status429TooManyRequests, Code.ResourceExhausted,
                $"too many requests or bytes in flight (max_concurrent_requests {limiter.MaxRequests}, max_in_flight_bytes {limiter.MaxBytes}); nothing was accepted")
                .ConfigureAwait(false);
            return;
        }
        byte[]? body = null;
        try
        {
            int length;
            try
            {
                (body, length) = await RequestBody.ReadAsync(http, gzip, maxBody).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                await WriteStatusAsync(http, encoding, StatusCodes.Status400BadRequest, Code.InvalidArgument, $"the body is not valid gzip: {ex.Message}").ConfigureAwait(false);
                return;
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await WriteTooLargeAsync(http, encoding).ConfigureAwait(false);
                return;
            }
            if (body is null)
            {
                await WriteTooLargeAsync(http, encoding).ConfigureAwait(false);
                return;
            }
            await ExportAsync(http, body.AsSpan(0, length), encoding).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one left to answer.
        }
        finally
        {
            if (body is not null)
            {
                RequestBody.Return(body);
            }
            limiter.Release(reserved);
        }
    }

    private Task ExportAsync(HttpContext http, ReadOnlySpan<byte> body, Encoding encoding)
    {
        ExportLogsServiceRequest request;
        try
        {
            request = encoding == Encoding.Json ? OtlpJson.ParseRequest(body) : ExportLogsServiceRequest.Parser.ParseFrom(body);
        }
        catch (Exception ex) when (ex is IOException or JsonException or FormatException or InvalidOperationException)
        {
            var reason = encoding == Encoding.Json
                ? $"not a valid OTLP/JSON ExportLogsServiceRequest: {(ex is JsonException json ? "invalid JSON: " + Events.JsonErrorText.Describe(json) : ex.Message)}"
                : $"not a valid ExportLogsServiceRequest: {ex.Message}";
            ingest.ReportMalformed(reason, body, protobuf: encoding == Encoding.Protobuf);
            return WriteStatusAsync(http, encoding, StatusCodes.Status400BadRequest, Code.InvalidArgument, reason);
        }
        return AnswerAsync(http, request, encoding);
    }

    private async Task AnswerAsync(HttpContext http, ExportLogsServiceRequest request, Encoding encoding)
    {
        if (PipelineTracing.Source.HasListeners())
        {
            HttpServerRequest.Current = new HttpServerRequest(http.Request.Method, http.Request.Scheme, Path, Path);
        }
        var result = await ingest.ExportAsync(request, http.RequestAborted).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case OtlpExportOutcome.Accepted:
                http.Response.StatusCode = StatusCodes.Status200OK;
                await WriteMessageAsync(http, encoding, OtlpLogsGrpcService.Response(result)).ConfigureAwait(false);
                break;
            case OtlpExportOutcome.Backpressure:
                await WriteRetryAsync(http, encoding, StatusCodes.Status429TooManyRequests, Code.ResourceExhausted, result.Message!).ConfigureAwait(false);
                break;
            default:
                await WriteRetryAsync(http, encoding, StatusCodes.Status503ServiceUnavailable, Code.Unavailable, result.Message!).ConfigureAwait(false);
                break;
        }
    }

    private Task WriteTooLargeAsync(HttpContext http, Encoding encoding)
        => WriteStatusAsync(http, encoding, StatusCodes.Status413PayloadTooLarge, Code.InvalidArgument,
            $"the body is larger than max_body ({maxBody} bytes{(http.Request.Headers.ContentEncoding.Count > 0 ? ", after decompression" : "")}); nothing was accepted");

    /// <summary>An answer the client retries: Retry-After, as OTLP/HTTP asks for 429 and 503, and RetryInfo in the Status.</summary>
    private Task WriteRetryAsync(HttpContext http, Encoding encoding, int status, Code code, string message)
    {
        http.Response.Headers.RetryAfter = ingest.RetryAfterSeconds;
        http.Response.StatusCode = status;
        return WriteMessageAsync(http, encoding, OtlpLogsGrpcService.Status(code, message, ingest.RetryAfter));
    }

    private static Task WriteStatusAsync(HttpContext http, Encoding encoding, int status, Code code, string message)
    {
        http.Response.StatusCode = status;
        return WriteMessageAsync(http, encoding, OtlpLogsGrpcService.Status(code, message, retryAfter: null));
    }

    private static async Task WriteMessageAsync(HttpContext http, Encoding encoding, IMessage message)
    {
        if (encoding == Encoding.Json)
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(OtlpJson.Format(message), CancellationToken.None).ConfigureAwait(false);
            return;
        }
        http.Response.ContentType = "application/x-protobuf";
        await http.Response.Body.WriteAsync(message.ToByteArray(), CancellationToken.None).ConfigureAwait(false);
    }

    private static bool TryGetEncoding(string? contentType, out Encoding encoding)
    {
        encoding = Encoding.Protobuf;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }
        switch (parsed.MediaType?.ToUpperInvariant())
        {
            case "APPLICATION/X-PROTOBUF" or "APPLICATION/PROTOBUF":
                return true;
            case "APPLICATION/JSON":
                encoding = Encoding.Json;
                return true;
            default:
                return false;
        }
    }
}
