using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// What a running source sees of the topology. Events are accepted whole or not at all: when a send returns
/// false, <see cref="SendResult.Backpressure"/> or <see cref="SendResult.ShuttingDown"/>, nothing was handed on and
/// the caller still owns the event (it may retry it or release it).
/// </summary>
internal sealed class SourceContext(
    string componentId,
    ComponentOutput output,
    ComponentCounters counters,
    DeadLetterWriter deadLetters,
    ILogger logger,
    ComponentTracer tracer,
    CancellationToken stopping,
    CancellationToken hardStop,
    bool acknowledgements = false,
    MemoryLimiter? memoryLimiter = null) : ISourceContext
{
    /// <summary>Rejected-input lines of this source, rate-limited; the counter and the dead-letter file still get every one.</summary>
    private readonly FailureLogLimiter _rejectedLines = FailureLogLimiter.CreateDefault(TimeProvider.System);

    /// <summary>Refused and failed requests of this source, rate-limited; the counters get every one.</summary>
    private readonly FailureLogLimiter _refusals = FailureLogLimiter.CreateDefault(TimeProvider.System);

    /// <summary>Set once the source's current instance reported that its ports accept connections.</summary>
    private volatile bool _listening;

    public string ComponentId => componentId;

    public bool IsListening => _listening;

    public void ReportListening() => _listening = true;

    /// <summary>A restarted source listens anew: not ready until its new instance reports it.</summary>
    internal void ForgetListening() => _listening = false;

    public ILogger Logger => logger;

    public bool ConsumersParse { get; } = output.Consumers.Count > 0 && output.Consumers.All(pool => pool.ParsesInput);

    public async ValueTask<bool> SendAsync(Event evt, ActivityContext traceContext, CancellationToken cancellationToken)
        => await OfferAsync(evt, traceContext, Timeout.InfiniteTimeSpan, null, 0, cancellationToken, heedMemoryLimit: true).ConfigureAwait(false) == SendResult.Accepted;

    public ValueTask<SendResult> SendWithinAsync(Event evt, ActivityContext traceContext, TimeSpan deadline, CancellationToken cancellationToken)
        => OfferAsync(evt, traceContext, deadline, null, 0, cancellationToken, heedMemoryLimit: true);

    public async ValueTask<int> SendAllAsync(ReadOnlyMemory<Event> events, CancellationToken cancellationToken)
        => (await SendRunAsync(events, default, default, Timeout.InfiniteTimeSpan, null, null, heedMemoryLimit: true, cancellationToken).ConfigureAwait(false)).Sent;

    public ValueTask<(int Sent, SendResult Result)> SendAllWithinAsync(
        ReadOnlyMemory<Event> events, ReadOnlyMemory<ActivityContext> traceContexts, ReadOnlyMemory<long> positions, TimeSpan deadline,
        SourceBatch? batch, string? filePath, CancellationToken cancellationToken)
        => SendRunAsync(events, traceContexts, positions, deadline, batch, filePath, heedMemoryLimit: deadline != Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// The batch send of <see cref="SendAllAsync"/> and <see cref="SendAllWithinAsync"/>: one state machine, one clock
    /// read and one update of each counter per call; per event the sampling decision, the batch's count and the mailbox
    /// write, and an await only when a mailbox is full. A sampled event (its ingest span current while it is offered),
    /// or one that must wait for the memory limiter, takes the per-event path.
    /// </summary>
    /// <param name="traceContexts">Each event's incoming trace context; empty for none.</param>
    /// <param name="positions">Each event's position in the batch's result; empty for none.</param>
    private async ValueTask<(int Sent, SendResult Result)> SendRunAsync(
        ReadOnlyMemory<Event> events, ReadOnlyMemory<ActivityContext> traceContexts, ReadOnlyMemory<long> positions, TimeSpan deadline,
        SourceBatch? batch, string? filePath, bool heedMemoryLimit, CancellationToken cancellationToken)
    {
        var limits = new OfferLimits(cancellationToken, stopping, deadline);
        var now = Stopwatch.GetTimestamp();
        var handedOn = 0;
        var unconsumed = 0;
        long bytes = 0;
        var sent = 0;
        var result = SendResult.Accepted;
        try
        {
            for (; sent < events.Length; sent++)
            {
                if (stopping.IsCancellationRequested)
                {
                    result = SendResult.ShuttingDown;
                    break;
                }
                cancellationToken.ThrowIfCancellationRequested();
                var evt = events.Span[sent];
                var position = positions.IsEmpty ? 0 : positions.Span[sent];
                var traceContext = traceContexts.IsEmpty ? default : traceContexts.Span[sent];
                if (heedMemoryLimit && memoryLimiter is { IsRefusing: true })
                {
                    result = await WaitForMemoryThenOfferAsync(evt, traceContext, deadline, batch, position, cancellationToken, filePath).ConfigureAwait(false);
                    if (result != SendResult.Accepted)
                    {
                        break;
                    }
                    now = Stopwatch.GetTimestamp();
                    continue;
                }
                var size = evt.EstimatedSize;
                var span = tracer.StartIngest(traceContext, out var context, out var newTraceId, out var ambient);
                if (span is not null)
                {
                    result = await OfferTracedAsync(evt, span, context, newTraceId, ambient, deadline, batch, position, cancellationToken, filePath).ConfigureAwait(false);
                    if (result != SendResult.Accepted)
                    {
                        break;
                    }
                    continue;
                }
                // Counted before the hand-off: from there a consumer may settle the event at any moment.
                batch?.Sending();
                var pending = output.SendAsync(new Envelope(evt, context, now, 1, componentId, now, newTraceId, batch, position), limits, hardStop);
                HandOffResult handOff;
                try
                {
                    handOff = pending.IsCompletedSuccessfully ? pending.Result : await pending.ConfigureAwait(false);
                }
                catch
                {
                    batch?.NotSent();
                    throw;
                }
                if (handOff is HandOffResult.Backpressure or HandOffResult.ShuttingDown)
                {
                    batch?.NotSent();
                    result = handOff == HandOffResult.Backpressure ? SendResult.Backpressure : SendResult.ShuttingDown;
                    break;
                }
                if (handOff == HandOffResult.Unconsumed)
                {
                    unconsumed++;
                }
                else
                {
                    handedOn++;
                }
                bytes += size;
            }
        }
        finally
        {
            CountAll(handedOn, unconsumed, bytes);
        }
        return (sent, result);
    }

    /// <summary><see cref="Count"/> for a whole <see cref="SendRunAsync"/>: each counter once.</summary>
    private void CountAll(int handedOn, int unconsumed, long bytes)
    {
        var events = handedOn + unconsumed;
        if (events == 0)
        {
            return;
        }
        if (unconsumed > 0)
        {
            counters.UnconsumedDrops.Inc(unconsumed);
        }
        if (handedOn > 0)
        {
            output.CountHandedOn(handedOn);
        }
        var metrics = counters.Metrics;
        metrics.Received.Inc(events);
        metrics.ReceivedBytes.Inc(bytes);
        metrics.Sent.Inc(events);
        metrics.SentBytes.Inc(bytes);
    }

    public SourceBatch? BeginBatch() => acknowledgements ? new SourceBatch() : null;

    public bool MemoryLimited => memoryLimiter?.IsRefusing == true;

    public void ReportRefused(string reason)
    {
        counters.Refusals.Inc();
        if (_refusals.ShouldLog(out var suppressed))
        {
            logger.Warning("{ComponentId} refused input: {Reason}{Suppressed:l}", componentId, reason, suppressed > 0 ? $" ({suppressed} more not logged)" : "");
        }
    }

    public void ReportRequestFailed(Exception error, string? traceId)
    {
        counters.RequestFailures.Inc();
        if (_refusals.ShouldLog(out var suppressed))
        {
            logger.ForContext(TelemetryNames.TraceIdProperty, traceId).Error(error, "{ComponentId} failed a request{Suppressed:l}", componentId,
                suppressed > 0 ? $" ({suppressed} more lines not logged)" : "");
        }
    }

    public ValueTask<SendResult> SendWithinAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, CancellationToken cancellationToken)
        => OfferAsync(evt, traceContext, deadline, batch, position, cancellationToken, heedMemoryLimit: deadline != Timeout.InfiniteTimeSpan);

    public ValueTask<SendResult> SendWithinAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, string filePath, CancellationToken cancellationToken)
        => OfferAsync(evt, traceContext, deadline, batch, position, cancellationToken, heedMemoryLimit: deadline != Timeout.InfiniteTimeSpan, filePath);

    public ComponentMetrics Metrics => counters.Metrics;

    public void ReportInvalidInput(string reason, ReadOnlySpan<byte> raw)
    {
        counters.InvalidInputs.Inc();
        if (_rejectedLines.ShouldLog(out var suppressed))
        {
            if (suppressed > 0)
            {
                logger.Warning("{ComponentId}: {Suppressed} rejected-input lines left out (at most {Lines} per {Interval}); pipeline_component_errors_total counts every one",
                    componentId, suppressed, FailureLogLimiter.DefaultLinesPerInterval, _rejectedLines.Interval);
            }
            logger.Warning("{ComponentId} rejected input of {Bytes} bytes: {Reason}", componentId, raw.Length, reason);
        }
        deadLetters.WriteRaw(counters.Metrics, reason, componentId, raw);
    }

    /// <param name="heedMemoryLimit">
    /// False for the rest of an input already read and parsed (the batch overload without a deadline): holding it back
    /// frees no memory, and waiting with it in hand could keep the heap above the limit for good.
    /// </param>
    private ValueTask<SendResult> OfferAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, CancellationToken cancellationToken, bool heedMemoryLimit, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (stopping.IsCancellationRequested)
        {
            return new(SendResult.ShuttingDown);
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (heedMemoryLimit && memoryLimiter is { IsRefusing: true })
        {
            return WaitForMemoryThenOfferAsync(evt, traceContext, deadline, batch, position, cancellationToken, filePath);
        }
        // Measured before the hand-off: afterwards the event belongs to a downstream isolate.
        var size = evt.EstimatedSize;
        // The one sampling decision for this event. The ingest span (sampled events only) is current while the event
        // is offered; the caller's own current Activity is put back before returning, whatever happened.
        var span = tracer.StartIngest(traceContext, out var context, out var newTraceId, out var ambient);
        if (span is not null && filePath is not null)
        {
            PipelineTracing.RecordFileOrigin(span, filePath, position);
        }
        // One clock read: the event enters the pipeline and its first mailbox at once.
        var now = Stopwatch.GetTimestamp();
        // Counted before the hand-off: from there a consumer may settle the event at any moment.
        batch?.Sending();
        if (span is null)
        {
            var untraced = output.SendAsync(new Envelope(evt, context, now, 1, componentId, now, newTraceId, batch, position), new OfferLimits(cancellationToken, stopping, deadline), hardStop);
            if (untraced.IsCompletedSuccessfully)
            {
                return new(Count(untraced.Result, size, span: null, batch));
            }
            return AwaitAndCountAsync(untraced, size, span: null, batch);
        }
        return OfferTracedAsync(evt, span, context, newTraceId, ambient, deadline, batch, position, cancellationToken, now, size);
    }

    /// <summary>The rest of an offer whose event is sampled: <paramref name="span"/> is its ingest span, current until this returns.</summary>
    private ValueTask<SendResult> OfferTracedAsync(
        Event evt, Activity span, ActivityContext context, CompactTraceId newTraceId, Activity? ambient, TimeSpan deadline, SourceBatch? batch, long position,
        CancellationToken cancellationToken, string? filePath)
    {
        if (filePath is not null)
        {
            PipelineTracing.RecordFileOrigin(span, filePath, position);
        }
        var now = Stopwatch.GetTimestamp();
        batch?.Sending();
        return OfferTracedAsync(evt, span, context, newTraceId, ambient, deadline, batch, position, cancellationToken, now, evt.EstimatedSize);
    }

    private ValueTask<SendResult> OfferTracedAsync(
        Event evt, Activity span, ActivityContext context, CompactTraceId newTraceId, Activity? ambient, TimeSpan deadline, SourceBatch? batch, long position,
        CancellationToken cancellationToken, long now, int size)
    {
        var envelope = new Envelope(evt, context, now, 1, componentId, now, newTraceId, batch, position);
        try
        {
            var pending = output.SendAsync(envelope, new OfferLimits(cancellationToken, stopping, deadline), hardStop);
            if (pending.IsCompletedSuccessfully)
            {
                var result = Count(pending.Result, size, span, batch);
                PipelineTracing.End(span);
                return new(result);
            }
            // The continuation captured this flow with the span current; it ends the span there.
            return AwaitAndCountAsync(pending, size, span, batch);
        }
        catch (Exception ex)
        {
            batch?.NotSent();
            PipelineTracing.RecordException(span, ex);
            PipelineTracing.RecordFailure(span, ex.GetType().FullName!, ex.Message);
            PipelineTracing.End(span);
            throw;
        }
        finally
        {
            Activity.Current = ambient;
        }
    }

    /// <summary>Above the memory limiter's soft limit: waits until it drops, within the deadline (then backpressure, as a full mailbox).</summary>
    private async ValueTask<SendResult> WaitForMemoryThenOfferAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, CancellationToken cancellationToken, string? filePath)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        if (deadline != Timeout.InfiniteTimeSpan)
        {
            wait.CancelAfter(deadline);
        }
        try
        {
            await memoryLimiter!.WaitUntilAcceptingAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return stopping.IsCancellationRequested ? SendResult.ShuttingDown : SendResult.Backpressure;
        }
        return await OfferAsync(evt, traceContext, deadline, batch, position, cancellationToken, heedMemoryLimit: false, filePath).ConfigureAwait(false);
    }

    private async ValueTask<SendResult> AwaitAndCountAsync(ValueTask<HandOffResult> pending, int size, Activity? span, SourceBatch? batch)
    {
        try
        {
            return Count(await pending.ConfigureAwait(false), size, span, batch);
        }
        catch (Exception ex)
        {
            batch?.NotSent();
            PipelineTracing.RecordException(span, ex);
            PipelineTracing.RecordFailure(span, ex.GetType().FullName!, ex.Message);
            throw;
        }
        finally
        {
            PipelineTracing.End(span);
        }
    }

    private SendResult Count(HandOffResult result, int size, Activity? span, SourceBatch? batch)
    {
        switch (result)
        {
            // Not accepted, and the caller still owns the event: a 429 or 503 for HTTP, the span says which.
            case HandOffResult.Backpressure:
                batch?.NotSent();
                PipelineTracing.RecordIngestStatus(span, 429);
                PipelineTracing.RecordFailure(span, "backpressure", "backpressure: downstream stayed full");
                return SendResult.Backpressure;
            case HandOffResult.ShuttingDown:
                batch?.NotSent();
                PipelineTracing.RecordIngestStatus(span, 503);
                PipelineTracing.RecordFailure(span, "shutting_down", "the pipeline is shutting down");
                return SendResult.ShuttingDown;
            case HandOffResult.Unconsumed:
                counters.UnconsumedDrops.Inc();
                break;
            default:
                output.CountHandedOn(1);
                break;
        }
        PipelineTracing.RecordIngestStatus(span, 200);
        var metrics = counters.Metrics;
        metrics.Received.Inc();
        metrics.ReceivedBytes.Inc(size);
        metrics.Sent.Inc();
        metrics.SentBytes.Inc(size);
        return SendResult.Accepted;
    }
}
