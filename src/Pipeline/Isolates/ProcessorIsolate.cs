using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Isolates;

/// <summary>
/// An isolate of a processor stage. Per envelope it calls the private processor with a reused emitter, then hands
/// what was emitted to the consumers of each output. It owns the per-event failure policy: a throwing processor is
/// retried up to <c>max_attempts</c> with exponential backoff, then the event is dead-lettered;
/// <see cref="PermanentFailureException"/> skips the remaining attempts; <see cref="ProcessorStateCorruptedException"/>
/// crashes the loop on purpose so the supervisor replaces the instance.
/// </summary>
/// <remarks>
/// A retry sees the event as the failed attempt left it: processors change events in place and the runtime does
/// not copy every event just in case an attempt fails. Processors that must be retry-safe validate before they write.
/// </remarks>
internal sealed class ProcessorIsolate : Isolate
{
    private readonly IProcessorFactory _factory;
    private readonly IsolateEmitter _emitter;
    private IProcessor? _processor;

    // The envelope whose emitted events sit in the emitter, kept for their trace context and source id; its
    // TraceContext is the hop span's when the event is sampled, so the next hop becomes that span's child.
    private Envelope _emittedFrom;
    private bool _handingOff;

    public ProcessorIsolate(IsolatePool pool, int index, IProcessorFactory factory)
        : base(pool, index)
    {
        _factory = factory;
        _emitter = new IsolateEmitter(pool.Id, factory.NamedOutputs.Count);
    }

    protected override void CreateInstance()
    {
        _processor = null;
        _processor = _factory.CreateForIsolate(Index);
    }

    protected override async ValueTask HandleBatchAsync(CancellationToken stop)
    {
        var processor = _processor!;
        var tracer = Pool.Tracer;
        var instruments = Pool.Instruments;
        var dropped = 0;
        var sent = 0;
        try
        {
            while (BatchPosition < BatchCount)
            {
                stop.ThrowIfCancellationRequested();
                var envelope = Batch[BatchPosition];
                var input = envelope.Event;
                var waited = Stopwatch.GetTimestamp() - envelope.EnqueuedTimestamp;
                // Null (and no Activity at all) unless the event is sampled. While the processor runs, the hop span is
                // Activity.Current, so the processor's code, its logs and the exemplars below see it.
                var span = tracer.StartHop(envelope.TraceContext, Index, envelope.Attempt, waited);
                LogContext.Handling(envelope.TraceContext, envelope.NewTraceId);
                try
                {
                    if (envelope.Attempt == 1)
                    {
                        // A retry after a crash is the same dequeue; it is not counted twice.
                        StageInstruments.ObserveTicks(instruments.MailboxWait, waited);
                    }
                    if (!await TryProcessAsync(processor, envelope, stop).ConfigureAwait(false))
                    {
                        // Dead-lettered after its last attempt.
                        BatchPosition++;
                        continue;
                    }
                    span?.SetTag(TelemetryNames.AttemptAttribute, Batch[BatchPosition].Attempt);
                    BatchPosition++;
                    if (_emitter.Count == 0)
                    {
                        dropped++;
                        PipelineTracing.RecordDrop(span, ComponentCounters.DroppedByProcessor);
                        input.Release();
                        continue;
                    }
                    if (!_emitter.Contains(input))
                    {
                        // The processor replaced the event with others (a split): the input is done with.
                        input.Release();
                    }
                    _emittedFrom = span is null ? envelope : envelope with { TraceContext = span.Context };
                    sent += await HandOffAsync(stop).ConfigureAwait(false);
                }
                finally
                {
                    // The span ends after the hand-off, so it covers waiting on a full downstream mailbox too; and
                    // nothing of this event stays current for the next one on this loop.
                    PipelineTracing.End(span);
                    LogContext.Idle();
                }
            }
        }
        finally
        {
            if (dropped > 0)
            {
                Counters.ProcessorDrops.Inc(dropped);
            }
            if (sent > 0)
            {
                Counters.Metrics.Sent.Inc(sent);
            }
        }
    }

    protected override void OnCrashed(string reason)
    {
        if (_handingOff)
        {
            // The processor had finished; its output was partly handed on. Retrying the input would duplicate
            // what was delivered, so the rest of the output is dead-lettered instead.
            _handingOff = false;
            AbandonHeldEvents(envelope => Pool.DeadLetter(reason, envelope));
            return;
        }
        _emitter.ReleaseAll(keep: BatchPosition < BatchCount ? Batch[BatchPosition].Event : null);
        if (BatchPosition >= BatchCount)
        {
            return;
        }
        var inFlight = Batch[BatchPosition];
        if (inFlight.Attempt >= Settings.MaxAttempts)
        {
            Pool.DeadLetter(reason, inFlight);
            BatchPosition++;
            return;
        }
        Batch[BatchPosition] = inFlight.NextAttempt();
    }

    protected override ValueTask DisposeInstanceAsync()
    {
        var processor = _processor;
        _processor = null;
        return processor is null ? default : DisposeQuietlyAsync(processor);
    }

    protected override void AbandonHeldEvents(Action<Envelope> abandon)
    {
        if (_emitter.Count == 0)
        {
            return;
        }
        for (var slot = 0; slot < _emitter.SlotCount; slot++)
        {
            foreach (var evt in _emitter.Slot(slot))
            {
                if (evt is not null)
                {
                    abandon(_emittedFrom.WithEvent(evt));
                }
            }
        }
        _emitter.Clear();
    }

    /// <returns>True when the processor succeeded (its output is in the emitter); false when the event was dead-lettered.</returns>
    private async ValueTask<bool> TryProcessAsync(IProcessor processor, Envelope envelope, CancellationToken stop)
    {
        var duration = Pool.Instruments.Duration!;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await processor.ProcessAsync(envelope.Event, _emitter, stop).ConfigureAwait(false);
                StageInstruments.ObserveTicks(duration, Stopwatch.GetTimestamp() - started);
                return true;
            }
            catch (Exception ex) when (ex is not ProcessorStateCorruptedException && !(ex is OperationCanceledException && stop.IsCancellationRequested))
            {
                StageInstruments.ObserveTicks(duration, Stopwatch.GetTimestamp() - started);
                _emitter.ReleaseAll(keep: envelope.Event);
                Counters.ProcessingFailures.Inc();
                var permanent = ex is PermanentFailureException;
                if (permanent || envelope.Attempt >= Settings.MaxAttempts)
                {
                    Logger.Warning(ex, "{ComponentId} failed on an event at attempt {Attempt} of {MaxAttempts}; dead-lettering it{Permanent}",
                        Pool.Id, envelope.Attempt, Settings.MaxAttempts, permanent ? " (permanent failure)" : "");
                    Pool.DeadLetter(Describe(ex), envelope);
                    return false;
                }
                var delay = ExponentialBackoff.Delay(Settings.RetryBackoff, envelope.Attempt);
                PipelineTracing.RecordRetry(Activity.Current, envelope.Attempt, ex, delay);
                Logger.Warning(ex, "{ComponentId} failed on an event at attempt {Attempt} of {MaxAttempts}; retrying in {Delay}",
                    Pool.Id, envelope.Attempt, Settings.MaxAttempts, delay);
                await Task.Delay(delay, Pool.Time, stop).ConfigureAwait(false);
                envelope = envelope.NextAttempt();
                Batch[BatchPosition] = envelope;
            }
            catch
            {
                _emitter.ReleaseAll(keep: envelope.Event);
                throw;
            }
        }
    }

    /// <returns>How many events were handed on.</returns>
    private async ValueTask<int> HandOffAsync(CancellationToken stop)
    {
        _handingOff = true;
        var handed = 0;
        var outputs = Pool.Outputs;
        var now = Stopwatch.GetTimestamp();
        for (var slot = 0; slot < _emitter.SlotCount; slot++)
        {
            var events = _emitter.Slot(slot);
            for (var i = 0; i < events.Count; i++)
            {
                var evt = events[i];
                if (evt is null)
                {
                    continue;
                }
                // Nulled before the hand-off: from here the consumer owns it, even if the hand-off is cancelled.
                events[i] = null!;
                var next = new Envelope(evt, _emittedFrom.TraceContext, _emittedFrom.IngestTimestamp, 1, _emittedFrom.SourceId, now, _emittedFrom.NewTraceId);
                await outputs[slot].SendAsync(next, stop).ConfigureAwait(false);
                handed++;
            }
        }
        _emitter.Clear();
        _handingOff = false;
        return handed;
    }

    private async ValueTask DisposeQuietlyAsync(IProcessor processor)
    {
        try
        {
            switch (processor)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        catch (Exception ex)
        {
            Logger.Warning(ex, "Disposing a processor instance of {ComponentId} failed", Pool.Id);
        }
    }
}
