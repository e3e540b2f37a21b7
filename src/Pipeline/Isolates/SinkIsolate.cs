using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Isolates;

/// <summary>
/// An isolate of a sink. It delivers what its mailbox holds in batches of up to <c>batch_size</c>, flushes when
/// the mailbox runs empty and on shutdown, and owns the delivery failure policy: a failed batch is retried whole
/// with exponential backoff up to <c>max_attempts</c>, then each of its events is dead-lettered.
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
        var sink = _sink!;
        List<ActivityLink>? links = null;
        _events.Clear();
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            ref readonly var envelope = ref Batch[i];
            _events.Add(envelope.Event);
            if (envelope.IsSampled)
            {
                (links ??= []).Add(new ActivityLink(envelope.TraceContext));
            }
        }
        // One delivery span per batch, only when the batch holds a sampled event; it is Activity.Current while the
        // sink runs, so the sink's logs and the sampled events' exemplars point at it.
        var span = links is null ? null : Pool.Tracer.StartDelivery(links, Index, _events.Count);
        span?.SetTag(TelemetryNames.AttemptAttribute, _batchAttempt);
        if (_batchAttempt == 1)
        {
            // A batch retried after a crash was dequeued once; its wait is not counted again.
            RecordMailboxWait(BatchTaken, span);
        }
        try
        {
            while (true)
            {
                stop.ThrowIfCancellationRequested();
                try
                {
                    await sink.WriteAsync(_events, stop).ConfigureAwait(false);
                    Delivered();
                    return;
                }
                catch (Exception ex) when (ex is not ProcessorStateCorruptedException && !(ex is OperationCanceledException && stop.IsCancellationRequested))
                {
                    Counters.DeliveryFailures.Inc();
                    var permanent = ex is PermanentFailureException;
                    if (permanent || _batchAttempt >= Settings.MaxAttempts)
                    {
                        Logger.Warning(ex, "{ComponentId} failed to deliver a batch of {Count} at attempt {Attempt} of {MaxAttempts}; dead-lettering its events{Permanent}",
                            Pool.Id, _events.Count, _batchAttempt, Settings.MaxAttempts, permanent ? " (permanent failure)" : "");
                        DeadLetterBatch(Describe(ex));
                        return;
                    }
                    var delay = ExponentialBackoff.Delay(Settings.RetryBackoff, _batchAttempt);
                    PipelineTracing.RecordRetry(span, _batchAttempt, ex, delay);
                    Logger.Warning(ex, "{ComponentId} failed to deliver a batch of {Count} at attempt {Attempt} of {MaxAttempts}; retrying in {Delay}",
                        Pool.Id, _events.Count, _batchAttempt, Settings.MaxAttempts, delay);
                    await Task.Delay(delay, Pool.Time, stop).ConfigureAwait(false);
                    _batchAttempt++;
                    span?.SetTag(TelemetryNames.AttemptAttribute, _batchAttempt);
                }
            }
        }
        finally
        {
            PipelineTracing.End(span);
        }
    }

    /// <summary>A batch is logged about by its first event (a sampled batch's lines carry its delivery span instead).</summary>
    public override bool TryGetHandledTrace(out ActivityContext context, out CompactTraceId newTraceId)
    {
        var position = BatchPosition;
        if (position < BatchCount)
        {
            context = Batch[position].TraceContext;
            newTraceId = Batch[position].NewTraceId;
            return true;
        }
        context = default;
        newTraceId = default;
        return false;
    }

    protected override ValueTask OnMailboxEmptyAsync(CancellationToken stop) => _unflushed ? FlushAsync(stop) : default;

    protected override ValueTask OnDrainedAsync(CancellationToken stop) => FlushAsync(stop);

    protected override void OnCrashed(string reason)
    {
        if (BatchPosition >= BatchCount)
        {
            return;
        }
        if (_batchAttempt >= Settings.MaxAttempts)
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
        BatchPosition = BatchCount;
        _batchAttempt = 1;
        _unflushed = true;
    }

    /// <summary>Each envelope's wait from enqueue to now; a sampled event's with the delivery span as exemplar.</summary>
    private void RecordMailboxWait(long now, Activity? span)
    {
        var recorder = Instruments.MailboxWait;
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            ref readonly var envelope = ref Batch[i];
            Record(recorder, now - envelope.EnqueuedTimestamp, span is not null && envelope.IsSampled);
        }
    }

    /// <summary>Each envelope's latency from ingest to now, delivered; a sampled event's with the delivery span as exemplar.</summary>
    private void RecordLatency(long now, Activity? span)
    {
        var recorder = Instruments.Latency!;
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            ref readonly var envelope = ref Batch[i];
            Record(recorder, now - envelope.IngestTimestamp, span is not null && envelope.IsSampled);
        }
    }

    private static void Record(LatencyRecorder recorder, long ticks, bool withExemplar)
    {
        if (withExemplar)
        {
            recorder.RecordWithExemplar(ticks);
        }
        else
        {
            recorder.RecordTicks(ticks);
        }
    }

    private void DeadLetterBatch(string reason)
    {
        PipelineTracing.RecordFailure(Activity.Current, reason);
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            Pool.DeadLetter(reason, Batch[i] with { Attempt = _batchAttempt });
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
        catch (Exception ex) when (ex is not ProcessorStateCorruptedException && !(ex is OperationCanceledException && stop.IsCancellationRequested))
        {
            // The batches were already delivered as far as WriteAsync could tell; a sink that buffers past
            // WriteAsync may lose them here, which the error counter and this line make visible.
            Counters.FlushFailures.Inc();
            Logger.Error(ex, "{ComponentId} failed to flush", Pool.Id);
        }
    }
}
