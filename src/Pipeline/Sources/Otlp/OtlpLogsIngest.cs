using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using OpenTelemetry.Proto.Collector.Logs.V1;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sources.Http;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// What the gRPC and the HTTP server of an otlp source share: the limits on requests in flight, and handing a decoded
/// export request's records on, waiting for their delivery when acknowledgements are on. Each server answers the
/// <see cref="OtlpExportResult"/> in its own terms.
/// </summary>
/// <remarks>
/// As the http source does: the first record waits at most backpressure_timeout for room, and if it gets none nothing
/// of the request was accepted, so the client resends it whole; once it is in, the rest follow with ordinary
/// backpressure, so a request is never split by a backpressure answer.
/// </remarks>
internal sealed class OtlpLogsIngest(ISourceContext context, TimeSpan backpressureTimeout, TimeSpan acknowledgementsTimeout, IngestLimiter limiter)
{
    // A request converts without awaiting, so there are about as many converters as threads converting at once.
    private readonly ConcurrentBag<OtlpLogEvents> _converters = [];
    private volatile bool _shuttingDown;

    public ISourceContext Context => context;

    public IngestLimiter Limiter => limiter;

    /// <summary>Whole seconds, at least 1: what Retry-After and RetryInfo say.</summary>
    public TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(backpressureTimeout.TotalSeconds)));

    public string RetryAfterSeconds => RetryAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    public TimeSpan BackpressureTimeout => backpressureTimeout;

    public bool ShuttingDown => _shuttingDown;

    /// <summary>From now on every request is answered as the pipeline shutting down.</summary>
    public void BeginShutdown() => _shuttingDown = true;

    /// <summary>Counts and dead-letters a request that does not decode, with the reason and its bytes.</summary>
    /// <param name="protobuf">
    /// True for protobuf: the dead-letter record keeps raw input as text, so binary goes in as base64 (the reason says
    /// so); as UTF-8 it would come out with replacement characters and could not be decoded again.
    /// </param>
    public void ReportMalformed(string reason, ReadOnlySpan<byte> raw, bool protobuf)
    {
        if (!protobuf)
        {
            context.ReportInvalidInput(reason, raw);
            return;
        }
        var base64 = new byte[System.Buffers.Text.Base64.GetMaxEncodedToUtf8Length(raw.Length)];
        System.Buffers.Text.Base64.EncodeToUtf8(raw, base64, out _, out var written);
        context.ReportInvalidInput(reason + " (raw: the protobuf bytes, base64)", base64.AsSpan(0, written));
    }

    public async Task<OtlpExportResult> ExportAsync(ExportLogsServiceRequest request, CancellationToken cancellationToken)
    {
        var events = new List<Event>();
        var traces = new List<ActivityContext>();
        var positions = new List<int>();
        var errors = new List<OtlpRecordError>();
        var converter = _converters.TryTake(out var pooled) ? pooled : new OtlpLogEvents();
        try
        {
            converter.Read(request, events, traces, positions, errors);
        }
        finally
        {
            _converters.Add(converter);
        }
        var rejectedMessage = errors.Count == 0 ? null : errors[0].Reason + (errors.Count > 1 ? $" (and {errors.Count - 1} more records)" : "");
        if (events.Count == 0)
        {
            ReportInvalid(errors);
            return new OtlpExportResult(OtlpExportOutcome.Accepted, errors.Count, rejectedMessage);
        }

        var batch = context.BeginBatch();
        var admission = await context.SendWithinAsync(events[0], traces[0], backpressureTimeout, batch, positions[0], cancellationToken).ConfigureAwait(false);
        if (admission != SendResult.Accepted)
        {
            ReleaseFrom(events, 0);
            // The records that did not convert are not dead-lettered yet: the client resends the request, and they would be twice.
            return admission == SendResult.Backpressure
                ? new OtlpExportResult(OtlpExportOutcome.Backpressure, 0,
                    $"the pipeline is full (no room within {backpressureTimeout.TotalMilliseconds}ms); nothing was accepted, retry after {RetryAfterSeconds}s")
                : new OtlpExportResult(OtlpExportOutcome.ShuttingDown, 0, "the pipeline is shutting down; nothing was accepted");
        }
        ReportInvalid(errors);
        var accepted = 1 + await SendRestAsync(events, traces, positions, batch, cancellationToken).ConfigureAwait(false);
        if (accepted < events.Count)
        {
            ReleaseFrom(events, accepted);
            // OTLP has no way to say "resend from here": the client resends the whole request, so the records that did
            // go in arrive twice, as after any retry.
            return new OtlpExportResult(OtlpExportOutcome.ShuttingDown, 0,
                $"the pipeline is shutting down; {accepted} of {events.Count} records were accepted before it stopped taking more");
        }
        if (batch is null)
        {
            return new OtlpExportResult(OtlpExportOutcome.Accepted, errors.Count, rejectedMessage);
        }
        batch.Seal();
        SourceBatchResult result;
        try
        {
            result = await batch.Completion.WaitAsync(acknowledgementsTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new OtlpExportResult(OtlpExportOutcome.NotAcknowledged, 0,
                $"{accepted} records were accepted but not all were delivered within acknowledgements_timeout ({acknowledgementsTimeout.TotalSeconds}s); retry (records that did arrive will arrive twice)");
        }
        if (result.DeadLettered == 0)
        {
            return new OtlpExportResult(OtlpExportOutcome.Accepted, errors.Count, rejectedMessage);
        }
        // DeadLettered counts copies (a record sent to two sinks counts at each); the listed ones name the records.
        var deadLettered = result.DeadLettered > result.DeadLetters.Count
            ? Math.Min(result.DeadLettered, events.Count)
            : result.DeadLetters.Select(d => d.Position).Distinct().Count();
        var first = result.DeadLetters.Count > 0 ? $"log record {result.DeadLetters[0].Position}: dead-lettered: {result.DeadLetters[0].Reason}" : "dead-lettered";
        return new OtlpExportResult(OtlpExportOutcome.Accepted, errors.Count + deadLettered,
            rejectedMessage is null ? first : rejectedMessage + "; " + first);
    }

    private void ReportInvalid(List<OtlpRecordError> errors)
    {
        foreach (var error in errors)
        {
            ReportMalformed(error.Reason, error.Raw, protobuf: true);
        }
    }

    /// <summary>Hands on every event after the first, which was admitted, in one call; returns how many went in (fewer only when shutting down).</summary>
    private async ValueTask<int> SendRestAsync(List<Event> events, List<ActivityContext> traces, List<int> positions, SourceBatch? batch, CancellationToken cancellationToken)
    {
        var count = events.Count - 1;
        if (count == 0)
        {
            return 0;
        }
        var rest = ArrayPool<Event>.Shared.Rent(count);
        var restTraces = ArrayPool<ActivityContext>.Shared.Rent(count);
        var restPositions = ArrayPool<long>.Shared.Rent(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                rest[i] = events[i + 1];
                restTraces[i] = traces[i + 1];
                restPositions[i] = positions[i + 1];
            }
            var (sent, _) = await context.SendAllWithinAsync(
                rest.AsMemory(0, count), restTraces.AsMemory(0, count), restPositions.AsMemory(0, count), Timeout.InfiniteTimeSpan, batch, filePath: null, cancellationToken)
                .ConfigureAwait(false);
            return sent;
        }
        finally
        {
            ArrayPool<Event>.Shared.Return(rest, clearArray: true);
            ArrayPool<ActivityContext>.Shared.Return(restTraces, clearArray: true);
            ArrayPool<long>.Shared.Return(restPositions);
        }
    }

    private static void ReleaseFrom(List<Event> events, int start)
    {
        for (var i = start; i < events.Count; i++)
        {
            events[i].Release();
        }
    }
}
