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
        _sink = _factory.CreateForIsolate(Index);
    }

    protected override async ValueTask HandleBatchAsync(CancellationToken stop)
    {
        var tracer = Pool.Tracer;
        _events.Clear();
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            ref readonly var envelope = ref Batch[i];
            _events.Add(envelope.Event);
            if (envelope.IsSampled && tracer.StartSend(envelope.TraceContext, Index) is { } message)
            {
                // Every sampled event's trace ends in a send span of its own, the child of its last hop.
                _messages.Add(message);
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

    /// <summary>The batch in <c>_events</c>, as the failure policy retries it (whole).</summary>
    private readonly struct BatchAttempt(SinkIsolate isolate) : IRetriedWork
    {
        public int Attempt => isolate._batchAttempt;

        public Activity? Span => isolate._span;

        public string Description => $"a batch of {isolate._events.Count} events";

        public ValueTask AttemptAsync(CancellationToken stop) => isolate._sink!.WriteAsync(isolate._events, stop);

        public void AttemptFailed() => isolate.Counters.DeliveryFailures.Inc();

        public void StartNextAttempt()
        {
            isolate._batchAttempt++;
            isolate._span?.SetTag(TelemetryNames.AttemptAttribute, isolate._batchAttempt);
        }

        public void DeadLetter(string reason) => isolate.DeadLetterBatch(reason);
    }
}
