using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Isolates;

/// <summary>
/// An isolate of a sink. It delivers what its mailbox holds in batches of up to <c>batch_size</c> and flushes when
/// the mailbox runs empty and on shutdown. A failed batch goes to the pool's <see cref="FailurePolicy"/>: retried
/// whole, then each of its events is dead-lettered.
/// </summary>
/// <remarks>
/// By default a partial batch does not wait: a batch is whatever accumulated while the previous one was delivered,
/// which sizes batches to the sink's own speed. With <c>batch_timeout</c> set, a partial batch waits up to that long
/// to fill, trading latency for fewer, larger deliveries (an http sink's requests, say).
/// </remarks>
internal sealed class SinkIsolate : Isolate
{
    private readonly ISinkFactory _factory;
    private readonly List<Event> _events;
    private ISink? _sink;

    // Set when the sink carries trace context onward (ITracePropagatingSink); then _traceContexts parallels _events.
    private ITracePropagatingSink? _propagatingSink;
    private readonly List<ActivityContext> _traceContexts = [];
    private int _batchAttempt = 1;

    // The delivery span of the batch under way (null unless it holds a sampled event), for the failure policy.
    private Activity? _span;

    // The per-message send spans of the batch under way, one per sampled event in batch order; empty when none is.
    private readonly List<Activity> _messages = [];
    private bool _unflushed;

    public SinkIsolate(IsolatePool pool, int index, ISinkFactory factory)
        : base(pool, index)
    {
        _factory = factory;
        _events = new List<Event>(Math.Max(1, Settings.BatchSize));
    }

    protected override TimeSpan BatchLinger => Settings.BatchTimeout;

    protected override void CreateInstance()
    {
        _sink = null;
        _propagatingSink = null;
        _sink = _factory.CreateForIsolate(Index);
        _propagatingSink = _sink as ITracePropagatingSink;
    }

    protected override async ValueTask HandleBatchAsync(CancellationToken stop)
    {
        var tracer = Pool.Tracer;
        _events.Clear();
        _traceContexts.Clear();
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            ref readonly var envelope = ref Batch[i];
            _events.Add(envelope.Event);
            Activity? send = null;
            if (envelope.IsSampled && tracer.StartSend(envelope.TraceContext, Index) is { } message)
            {
                // Every sampled event's trace ends in a send span of its own, the child of its last hop.
                _messages.Add(message);
                send = message;
            }
            if (_propagatingSink is not null)
            {
                _traceContexts.Add(OutgoingTraceContext(envelope, send));
            }
        }
        // One delivery span per batch, only when the batch holds a sampled event; it is Activity.Current while the
        // sink runs, so the sink's logs (and the http sink's client attributes) land on it.
        var span = tracer.StartDelivery(_messages, Index, _events.Count);
        span?.SetTag(TelemetryNames.AttemptAttribute, _batchAttempt);
        if (_batchAttempt == 1)
        {
            // A batch retried after a crash was dequeued once; its wait is not counted again.
            RecordMailboxWait(BatchTaken, span);
        }
        _span = span;
        try
        {
            stop.ThrowIfCancellationRequested();
            if (await Pool.FailurePolicy.RunAsync(new BatchAttempt(this), stop).ConfigureAwait(false))
            {
                Delivered();
            }
        }
        catch (Exception ex) when (span is not null)
        {
            // A crash (a corrupted instance, the hard stop) abandons this delivery; the spans say so, then it ends.
            PipelineTracing.RecordException(span, ex);
            PipelineTracing.RecordFailure(span, ex.GetType().FullName!, ex.Message);
            throw;
        }
        finally
        {
            _span = null;
            ComponentTracer.EndDelivery(span, _messages);
        }
    }

    protected override ValueTask OnMailboxEmptyAsync(CancellationToken stop) => _unflushed ? FlushAsync(stop) : default;

    protected override ValueTask OnDrainedAsync(CancellationToken stop) => FlushAsync(stop);

    protected override void OnCrashed(string reason)
    {
        if (BatchPosition >= BatchCount)
        {
            return;
        }
        if (Pool.FailurePolicy.IsExhausted(_batchAttempt))
        {
            DeadLetterBatch(reason);
            return;
        }
        _batchAttempt++;
    }

    protected override async ValueTask DisposeInstanceAsync()
    {
        var sink = _sink;
        _sink = null;
        if (sink is null)
        {
            return;
        }
        try
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Logger.Warning(ex, "Disposing a sink instance of {ComponentId} failed", Pool.Id);
        }
    }

    private void Delivered()
    {
        var count = BatchCount - BatchPosition;
        RecordLatency(Stopwatch.GetTimestamp(), Activity.Current);
        long bytes = 0;
        foreach (var evt in _events)
        {
            bytes += evt.EstimatedSize;
            evt.Release();
        }
        _events.Clear();
        Counters.Metrics.Sent.Inc(count);
        Counters.Metrics.SentBytes.Inc(bytes);
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            Batch[i].Settle(EventOutcome.Delivered);
        }
        BatchPosition = BatchCount;
        _batchAttempt = 1;
        _unflushed = true;
    }

    /// <summary>Each envelope's wait from enqueue to now; a sampled event's with its send span as exemplar.</summary>
    private void RecordMailboxWait(long now, Activity? span)
        => RecordPerEnvelope(Instruments.MailboxWait, now, span, fromIngest: false);

    /// <summary>Each envelope's latency from ingest to now, delivered; a sampled event's with its send span as exemplar.</summary>
    private void RecordLatency(long now, Activity? span)
        => RecordPerEnvelope(Instruments.Latency!, now, span, fromIngest: true);

    private void RecordPerEnvelope(LatencyRecorder recorder, long now, Activity? span, bool fromIngest)
    {
        var message = 0;
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            ref readonly var envelope = ref Batch[i];
            var ticks = now - (fromIngest ? envelope.IngestTimestamp : envelope.EnqueuedTimestamp);
            if (span is not null && envelope.IsSampled && message < _messages.Count)
            {
                // The exemplar is the current span: this event's own send span, so it resolves to the event's trace.
                Activity.Current = _messages[message++];
                recorder.RecordWithExemplar(ticks);
            }
            else
            {
                recorder.RecordTicks(ticks);
            }
        }
        if (message > 0)
        {
            Activity.Current = span;
        }
    }

    private void DeadLetterBatch(string reason)
    {
        var batch = Activity.Current;
        PipelineTracing.RecordFailure(batch, TelemetryNames.DeadLetteredErrorType, reason);
        var message = 0;
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            // A sampled event's dead-letter event goes on its own send span (the current span while it is written).
            if (batch is not null && Batch[i].IsSampled && message < _messages.Count)
            {
                var own = _messages[message++];
                own.SetTag(TelemetryNames.ErrorTypeAttribute, batch.GetTagItem(TelemetryNames.ErrorTypeAttribute));
                Activity.Current = own;
            }
            Pool.DeadLetter(reason, Batch[i] with { Attempt = _batchAttempt });
            if (message > 0)
            {
                Activity.Current = batch;
            }
        }
        _events.Clear();
        BatchPosition = BatchCount;
        _batchAttempt = 1;
    }

    private async ValueTask FlushAsync(CancellationToken stop)
    {
        _unflushed = false;
        try
        {
            await _sink!.FlushAsync(stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (FailurePolicy.Handles(ex, stop))
        {
            // The batches were already delivered as far as WriteAsync could tell; a sink that buffers past
            // WriteAsync may lose them here, which the error counter and this line make visible.
            Counters.FlushFailures.Inc();
            Logger.Error(ex, "{ComponentId} failed to flush", Pool.Id);
        }
    }

    /// <summary>
    /// The trace context the next process continues from: a sampled event's send span, else the event's own trace id
    /// (the one it came with, or the one the pipeline gave it at ingest) with the sampled flag clear, so the other side
    /// logs under the same trace id without recording spans for it.
    /// </summary>
    private static ActivityContext OutgoingTraceContext(in Envelope envelope, Activity? send)
    {
        if (send is not null)
        {
            return send.Context;
        }
        if (envelope.TraceContext.TraceId != default)
        {
            return new ActivityContext(envelope.TraceContext.TraceId, envelope.TraceContext.SpanId, envelope.TraceContext.TraceFlags & ~ActivityTraceFlags.Recorded);
        }
        // An unsampled event the pipeline gave a trace id: no span of it exists, so the parent span id is made up, as
        // a W3C traceparent needs one.
        return envelope.NewTraceId.IsEmpty
            ? default
            : new ActivityContext(envelope.NewTraceId.ToActivityTraceId(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
    }

    /// <summary>
    /// One attempt at the batch. Completes synchronously, without a state machine, when the sink does; a
    /// <see cref="PartialDeliveryException"/> settles what it can (<see cref="SettlePartialDelivery"/>) and leaves only
    /// the retryable events for the next attempt.
    /// </summary>
    private ValueTask WriteAttemptAsync(CancellationToken stop)
    {
        ValueTask write;
        try
        {
            write = _propagatingSink is { } propagating
                ? propagating.WriteAsync(_events, _traceContexts, stop)
                : _sink!.WriteAsync(_events, stop);
        }
        catch (PartialDeliveryException partial)
        {
            write = ValueTask.FromException(partial);
        }
        return write.IsCompletedSuccessfully ? default : AwaitPartialDeliveryAsync(write);
    }

    private async ValueTask AwaitPartialDeliveryAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (PartialDeliveryException partial)
        {
            var retried = SettlePartialDelivery(partial);
            if (retried is null)
            {
                return;
            }
            // The rest is an outage of those events only: the policy retries them (and only them) with backoff.
            throw new RetryableFailureException($"{partial.Message}; {_events.Count} events to retry, first: {retried}", partial);
        }
    }

    /// <summary>
    /// Settles a batch that went through in part: what the sink did not list is delivered, what it listed as not
    /// retryable is dead-lettered now with the sink's reason, and the retryable events move (in their order) to the end
    /// of the batch, where the next attempt starts. Returns the first retryable event's reason; null when none is left.
    /// </summary>
    private string? SettlePartialDelivery(PartialDeliveryException partial)
    {
        var count = BatchCount - BatchPosition;
        var failures = new EventDeliveryFailure?[count];
        foreach (var failure in partial.Failures)
        {
            if ((uint)failure.Index < (uint)count)
            {
                failures[failure.Index] = failure;
            }
        }
        var now = Stopwatch.GetTimestamp();
        var batchSpan = _span;
        var message = 0;
        long delivered = 0, deliveredBytes = 0;
        string? firstRetried = null;
        var keptMessages = new List<Activity>();
        var keptTraceContexts = new List<ActivityContext>();
        // Walks backwards so the retryable envelopes move to the tail in place: the write index never passes the read one.
        var messageIndexes = new int[count];
        for (var i = 0; i < count; i++)
        {
            messageIndexes[i] = Batch[BatchPosition + i].IsSampled && message < _messages.Count ? message++ : -1;
        }
        var write = BatchCount - 1;
        for (var i = count - 1; i >= 0; i--)
        {
            var envelope = Batch[BatchPosition + i];
            var own = messageIndexes[i] >= 0 ? _messages[messageIndexes[i]] : null;
            switch (failures[i])
            {
                case { Retryable: true } retry:
                    firstRetried = retry.Reason;
                    Batch[write--] = envelope;
                    if (own is not null)
                    {
                        keptMessages.Add(own);
                    }
                    if (_propagatingSink is not null)
                    {
                        keptTraceContexts.Add(_traceContexts[i]);
                    }
                    break;
                case { } rejected:
                    if (own is not null)
                    {
                        own.SetTag(TelemetryNames.ErrorTypeAttribute, TelemetryNames.DeadLetteredErrorType);
                        Activity.Current = own;
                    }
                    Pool.DeadLetter(rejected.Reason, envelope with { Attempt = _batchAttempt });
                    Activity.Current = batchSpan;
                    own?.Stop();
                    break;
                default:
                    if (own is not null)
                    {
                        Activity.Current = own;
                        Instruments.Latency!.RecordWithExemplar(now - envelope.IngestTimestamp);
                        Activity.Current = batchSpan;
                        own.Stop();
                    }
                    else
                    {
                        Instruments.Latency!.RecordTicks(now - envelope.IngestTimestamp);
                    }
                    delivered++;
                    deliveredBytes += envelope.Event.EstimatedSize;
                    envelope.Event.Release();
                    envelope.Settle(EventOutcome.Delivered);
                    break;
            }
        }
        Counters.Metrics.Sent.Inc(delivered);
        Counters.Metrics.SentBytes.Inc(deliveredBytes);
        BatchPosition = write + 1;
        _events.Clear();
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            _events.Add(Batch[i].Event);
        }
        keptMessages.Reverse();
        _messages.Clear();
        _messages.AddRange(keptMessages);
        keptTraceContexts.Reverse();
        _traceContexts.Clear();
        _traceContexts.AddRange(keptTraceContexts);
        if (delivered > 0)
        {
            _unflushed = true;
        }
        return firstRetried;
    }

    /// <summary>The batch in <c>_events</c>, as the failure policy retries it (whole).</summary>
    private readonly struct BatchAttempt(SinkIsolate isolate) : IRetriedWork
    {
        public int Attempt => isolate._batchAttempt;

        public Activity? Span => isolate._span;

        public string Description => $"a batch of {isolate._events.Count} events";

        public ValueTask AttemptAsync(CancellationToken stop) => isolate.WriteAttemptAsync(stop);

        public void AttemptFailed() => isolate.Counters.DeliveryFailures.Inc();

        public void StartNextAttempt()
        {
            isolate._batchAttempt++;
            isolate._span?.SetTag(TelemetryNames.AttemptAttribute, isolate._batchAttempt);
        }

        public void DeadLetter(string reason) => isolate.DeadLetterBatch(reason);
    }
}
