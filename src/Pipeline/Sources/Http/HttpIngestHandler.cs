using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Sources.Http;

/// <summary>
/// Turns one POST of NDJSON (application/x-ndjson, application/jsonl) or JSON (an array of objects, or one object),
/// optionally gzip-compressed, into events; with a <c>decoding.codec</c> other than json, a text/plain body instead,
/// cut by the source's framing and each frame decoded (<see cref="FrameDecoder"/>), a frame that does not decode
/// being a per-line error like an invalid NDJSON line. Hosted by <see cref="HttpSource"/>; any endpoint route builder can map it.
/// </summary>
/// <remarks>
/// <para>Answers, always with a JSON body:</para>
/// <list type="bullet">
/// <item>200 <c>{"accepted": N, "errors": [{"line": 3, "error": "..."}]}</c>: the valid lines are in the pipeline; each
/// malformed one is listed (NDJSON: 1-based <c>line</c>; JSON array: 0-based <c>index</c>) and dead-lettered.</item>
/// <item>400: nothing in the body was valid (same shape, accepted 0).</item>
/// <item>413: the body, or its gzip-decompressed form, is over <c>max_body</c>. 415: an unknown Content-Type or
/// Content-Encoding. 405: not a POST.</item>
/// <item>429 with Retry-After: downstream stayed full for <c>backpressure_timeout</c>. <b>Nothing of the request
/// was accepted</b>, so the client resends the whole request. The deadline applies to the request's first event;
/// once it is admitted the rest follow with ordinary backpressure (the response waits while the pipeline catches
/// up), so a request is never split by a 429.</item>
/// <item>503: the pipeline is shutting down. When that happens part-way through a request, <c>accepted</c> says
/// how many events went in and <c>first_rejected</c> which line or index the client should resend from.</item>
/// </list>
/// <para>The body is read whole (bounded by <c>max_body</c>) before anything is sent, so a 413 or a broken gzip
/// stream never leaves half a request in the pipeline. A W3C <c>traceparent</c>/<c>tracestate</c> header becomes
/// the trace context of every event of the request; an event's own <c>traceparent</c> field (the source's
/// <c>traceparent_field</c>) overrides it for that event.</para>
/// </remarks>
public sealed partial class HttpIngestHandler
{

    private readonly ISourceContext _context;
    private readonly long _maxBody;
    private readonly TimeSpan _backpressureTimeout;
    private readonly string _retryAfterSeconds;
    private readonly FieldPath? _traceparentField;
    private readonly TimeSpan _acknowledgementsTimeout;
    private readonly IngestLimiter _limiter;
    private readonly DecodingCodec _codec;
    private readonly byte? _delimiter;

    // Decoders reuse buffers, so each parse takes one of its own; a request parses without awaiting, so there are
    // about as many as threads parsing at once, each reused, rather than one per request.
    private readonly ConcurrentBag<FrameDecoder> _decoders = [];
    private volatile bool _shuttingDown;

    /// <param name="traceparentField">A field whose valid W3C traceparent overrides the request's for that event; null for none.</param>
    /// <param name="acknowledgementsTimeout">
    /// With the source's acknowledgements on: how long a request waits for its events to be delivered before it is
    /// answered 503; null for the default, 30s.
    /// </param>
    /// <param name="limiter">Bytes and requests in flight; null for the defaults (an eighth of the available memory, 128 requests).</param>
    /// <param name="codec">decoding.codec: json takes NDJSON or JSON as always; the others take text/plain, framed.</param>
    /// <param name="delimiter">With a codec other than json, the byte that ends a frame; null when the whole body is one.</param>
    internal HttpIngestHandler(
        ISourceContext context, long maxBody, TimeSpan backpressureTimeout, FieldPath? traceparentField = null, TimeSpan? acknowledgementsTimeout = null,
        IngestLimiter? limiter = null, DecodingCodec codec = DecodingCodec.Json, byte? delimiter = (byte)'\n')
    {
        _codec = codec;
        _delimiter = delimiter;
        _limiter = limiter ?? new IngestLimiter(Math.Max(maxBody, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8), 128);
        _acknowledgementsTimeout = acknowledgementsTimeout ?? TimeSpan.FromSeconds(30);
        _traceparentField = traceparentField;
        _context = context;
        _maxBody = Math.Min(maxBody, Array.MaxLength - 1);
        _backpressureTimeout = backpressureTimeout;
        _retryAfterSeconds = Math.Max(1, (int)Math.Ceiling(backpressureTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Maps the handler onto <paramref name="path"/> for every method, so non-POSTs get a 405 that says why.</summary>
    public IEndpointConventionBuilder MapTo(IEndpointRouteBuilder endpoints, string path) => endpoints.Map(path, HandleAsync);

    /// <summary>From now on every request is answered 503.</summary>
    public void BeginShutdown() => _shuttingDown = true;

    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            await HandleRequestAsync(http).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            // Kestrel would answer 500 and log nothing (its logging is off here, to keep stdout for events): this is
            // the one place a request's own failure is logged, with its trace id, and counted. Running out of memory
            // is the process being full, not a bad request: 503, try again later.
            var outOfMemory = ex is OutOfMemoryException or InsufficientExecutionStackException;
            _context.ReportRequestFailed(ex, ReadTraceContext(http.Request.Headers) is { TraceId: var id } && id != default ? id.ToHexString() : null);
            if (!http.Response.HasStarted)
            {
                http.Response.Clear();
                if (outOfMemory)
                {
                    http.Response.Headers.RetryAfter = _retryAfterSeconds;
                }
                await WriteErrorAsync(http, outOfMemory ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
                    outOfMemory ? "the pipeline ran out of memory for this request; nothing was accepted, retry later" : $"internal error: {ex.GetType().Name}: {ex.Message}")
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
            await WriteErrorAsync(http, StatusCodes.Status405MethodNotAllowed, $"method {request.Method} is not allowed here; expected POST").ConfigureAwait(false);
            return;
        }
        if (_shuttingDown)
        {
            await WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "the pipeline is shutting down; nothing was accepted").ConfigureAwait(false);
            return;
        }
        if (!TryGetFormat(request.ContentType, out var format))
        {
            await WriteErrorAsync(http, StatusCodes.Status415UnsupportedMediaType,
                $"unsupported Content-Type '{request.ContentType ?? "(none)"}'; expected {AcceptedContentTypes} (UTF-8)").ConfigureAwait(false);
            return;
        }
        if (!TryGetGzip(request.Headers.ContentEncoding.ToString(), out var gzip))
        {
            await WriteErrorAsync(http, StatusCodes.Status415UnsupportedMediaType,
                $"unsupported Content-Encoding '{request.Headers.ContentEncoding}'; expected gzip or none").ConfigureAwait(false);
            return;
        }
        if (request.ContentLength > _maxBody)
        {
            await WriteTooLargeAsync(http).ConfigureAwait(false);
            return;
        }
        // Refused before the body is read: reading it is what takes the memory.
        if (_context.MemoryLimited)
        {
            _context.ReportRefused("the process is above its memory limiter's soft limit");
            http.Response.Headers.RetryAfter = _retryAfterSeconds;
            await WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable,
                "the pipeline is above its memory limit (memory_limiter); nothing was accepted, retry later").ConfigureAwait(false);
            return;
        }
        var reserved = !gzip && request.ContentLength is { } declared ? declared : _maxBody;
        if (!_limiter.TryReserve(reserved))
        {
            _context.ReportRefused($"{_limiter.MaxRequests} requests or {_limiter.MaxBytes} bytes of bodies in flight (max_concurrent_requests, max_in_flight_bytes)");
            http.Response.Headers.RetryAfter = _retryAfterSeconds;
            await WriteErrorAsync(http, StatusCodes.Status429TooManyRequests,
                $"too many requests or bytes in flight (max_concurrent_requests {_limiter.MaxRequests}, max_in_flight_bytes {_limiter.MaxBytes}); nothing was accepted, retry after {_retryAfterSeconds}s")
                .ConfigureAwait(false);
            return;
        }

        byte[]? body = null;
        try
        {
            int length;
            try
            {
                (body, length) = await RequestBody.ReadAsync(http, gzip, _maxBody).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                await WriteErrorAsync(http, StatusCodes.Status400BadRequest, $"the body is not valid gzip: {ex.Message}").ConfigureAwait(false);
                return;
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // Kestrel's own limit (max_body on the raw bytes) tripped while a chunked body was streaming in.
                await WriteTooLargeAsync(http).ConfigureAwait(false);
                return;
            }
            if (body is null)
            {
                await WriteTooLargeAsync(http).ConfigureAwait(false);
                return;
            }
            await IngestAsync(http, body.AsMemory(0, length), format).ConfigureAwait(false);
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
            _limiter.Release(reserved);
        }
    }

    private async Task IngestAsync(HttpContext http, ReadOnlyMemory<byte> body, BodyFormat format)
    {
        var events = new List<Event>();
        var positions = new List<int>();
        var errors = new List<IngestLineError>();
        switch (format)
        {
            case BodyFormat.Ndjson:
                ParseNdjson(body.Span, events, positions, errors);
                break;
            case BodyFormat.Json:
                ParseJson(body.Span, events, positions, errors);
                break;
            default:
                ParseFrames(body.Span, events, positions, errors);
                break;
        }
        var positionName = format switch
        {
            BodyFormat.Ndjson => "line",
            BodyFormat.Json => "index",
            _ => _delimiter == (byte)'\n' ? "line" : "record",
        };

        if (events.Count == 0)
        {
            ReportInvalid(body.Span, errors);
            await WriteResultAsync(http, StatusCodes.Status400BadRequest, 0, positionName, errors,
                errors.Count == 0 ? "the body holds no events" : "no valid events in the body", firstRejected: null).ConfigureAwait(false);
            return;
        }

        var trace = ReadTraceContext(http.Request.Headers);
        var cancellationToken = http.RequestAborted;
        if (PipelineTracing.Source.HasListeners())
        {
            // For the HTTP attributes of the sampled events' ingest spans; flows into the sends below and no further.
            HttpServerRequest.Current = new HttpServerRequest(
                http.Request.Method, http.Request.Scheme, http.Request.Path.Value ?? "/", (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText);
        }
        // Null unless the source's acknowledgements are on: then the answer waits until every event is terminal.
        var batch = _context.BeginBatch();
        var admission = await _context.SendWithinAsync(events[0], TraceContextOf(events[0], trace), _backpressureTimeout, batch, positions[0], cancellationToken)
            .ConfigureAwait(false);
        if (admission != SendResult.Accepted)
        {
            ReleaseFrom(events, 0);
            if (admission == SendResult.Backpressure)
            {
                // Invalid lines are not dead-lettered yet: the client resends the whole request, and they would be twice.
                http.Response.Headers.RetryAfter = _retryAfterSeconds;
                await WriteErrorAsync(http, StatusCodes.Status429TooManyRequests,
                    $"the pipeline is full (no room within {_backpressureTimeout.TotalMilliseconds}ms); nothing was accepted, retry the whole request after {_retryAfterSeconds}s").ConfigureAwait(false);
            }
            else
            {
                await WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "the pipeline is shutting down; nothing was accepted").ConfigureAwait(false);
            }
            return;
        }

        ReportInvalid(body.Span, errors);
        var accepted = 1 + await SendRestAsync(events, positions, trace, batch, cancellationToken).ConfigureAwait(false);
        if (accepted < events.Count)
        {
            ReleaseFrom(events, accepted);
            const string ShuttingDown = "the pipeline is shutting down; resend from first_rejected on";
            if (batch is null)
            {
                await WriteResultAsync(http, StatusCodes.Status503ServiceUnavailable, accepted, positionName, errors, ShuttingDown, positions[accepted])
                    .ConfigureAwait(false);
            }
            else
            {
                await AnswerWhenAcknowledgedAsync(http, batch, accepted, positionName, errors, ShuttingDown, positions[accepted]).ConfigureAwait(false);
            }
            return;
        }
        if (batch is null)
        {
            await WriteResultAsync(http, StatusCodes.Status200OK, accepted, positionName, errors, error: null, firstRejected: null).ConfigureAwait(false);
            return;
        }
        await AnswerWhenAcknowledgedAsync(http, batch, accepted, positionName, errors, error: null, firstRejected: null).ConfigureAwait(false);
    }

    private void ReportInvalid(ReadOnlySpan<byte> body, List<IngestLineError> errors)
    {
        foreach (var error in errors)
        {
            _context.ReportInvalidInput(error.Reason, body.Slice(error.Offset, error.Length));
        }
    }

    /// <summary>
    /// Hands on every event after the first, which was admitted: the rest of a request already read, so backpressure
    /// is waited out and the memory limiter does not hold it back. In one call (one clock read, the counters once);
    /// returns how many were accepted, fewer than all only when the pipeline is shutting down.
    /// </summary>
    private async ValueTask<int> SendRestAsync(List<Event> events, List<int> positions, ActivityContext trace, SourceBatch? batch, CancellationToken cancellationToken)
    {
        var count = events.Count - 1;
        if (count == 0)
        {
            return 0;
        }
        var rest = ArrayPool<Event>.Shared.Rent(count);
        var traces = ArrayPool<ActivityContext>.Shared.Rent(count);
        var lines = ArrayPool<long>.Shared.Rent(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                rest[i] = events[i + 1];
                traces[i] = TraceContextOf(events[i + 1], trace);
                lines[i] = positions[i + 1];
            }
            var (sent, _) = await _context.SendAllWithinAsync(
                rest.AsMemory(0, count), traces.AsMemory(0, count), lines.AsMemory(0, count), Timeout.InfiniteTimeSpan, batch, filePath: null, cancellationToken)
                .ConfigureAwait(false);
            return sent;
        }
        finally
        {
            ArrayPool<Event>.Shared.Return(rest, clearArray: true);
            ArrayPool<ActivityContext>.Shared.Return(traces, clearArray: true);
            ArrayPool<long>.Shared.Return(lines);
        }
    }

    private static void ReleaseFrom(List<Event> events, int start)
    {
        for (var i = start; i < events.Count; i++)
        {
            events[i].Release();
        }
    }

    private static ActivityContext ReadTraceContext(IHeaderDictionary headers)
    {
        var traceparent = headers["traceparent"];
        if (traceparent.Count != 1)
        {
            return default;
        }
        var tracestate = headers["tracestate"];
        // An invalid traceparent is ignored, as the W3C Trace Context spec asks, rather than failing the request.
        return W3CTraceparent.TryParse(traceparent[0], tracestate.Count == 0 ? null : tracestate.ToString(), isRemote: true, out var context)
            ? context
            : default;
    }

    /// <summary>
    /// The event's own traceparent field when it holds a valid one (then removed: it was transport metadata, and the
    /// trace context now travels in the envelope), else the request's context.
    /// </summary>
    private ActivityContext TraceContextOf(Event evt, in ActivityContext requestContext)
    {
        if (_traceparentField is null || !evt.Get(_traceparentField).TryGetString(out var traceparent)
            || !W3CTraceparent.TryParse(traceparent, traceState: null, isRemote: true, out var own))
        {
            return requestContext;
        }
        evt.Remove(_traceparentField);
        return own;
    }
}
