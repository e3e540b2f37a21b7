using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;

namespace Pipeline.Isolates;

/// <summary>
/// An isolate of a processor stage. Per envelope it calls the private processor with a reused emitter, then hands
/// what was emitted to the consumers of each output. Failures go to the pool's <see cref="FailurePolicy"/>: retried,
/// then dead-lettered; <see cref="InstanceCorruptedException"/> crashes the loop on purpose so the supervisor
/// replaces the instance.
/// </summary>
/// <remarks>
/// A retry sees the event as the failed attempt left it: processors change events in place and the runtime does
/// not copy every event just in case an attempt fails. Processors that must be retry-safe validate before they write.
/// </remarks>
internal sealed partial class ProcessorIsolate : Isolate
{
    /// <summary>
    /// An unsampled event's processing time is measured on every this-many-th event, and counts that many times in
    /// pipeline_stage_duration_seconds; a sampled event's always (it carries the exemplar). Two clock reads cost about
    /// as much as a filter's work on an event (measured: the throughput benchmark lost 6 % timing every event), and a
    /// uniform one-in-eight sample gives the same distribution and, weighted, the same count to within eight.
    /// </summary>
    internal const int TimingStride = 8;

    private const long NotTimed = 0;

    private readonly IProcessorFactory _factory;
    private readonly IsolateEmitter _emitter;
    private readonly int[] _handedPerSlot;
    private int _unconsumedInBatch;
    private IProcessor? _processor;

    /// <summary>The same instance when it takes whole batches (a script): then every batch goes through it in one call.</summary>
    private IBatchProcessor? _batchProcessor;
    private int _untilTimed = TimingStride;

    /// <summary>Input text that did not parse, rate-limited in the log; the counter and the dead-letter file get every one.</summary>
    private readonly FailureLogLimiter _rejectedInput = FailureLogLimiter.CreateDefault(TimeProvider.System);

    // The event under way: its hop span (null unless sampled) and when its current attempt started (NotTimed when
    // this event is not timed). Fields rather than locals because the failure policy's callbacks read them.
    private Activity? _span;
    private long _attemptStarted;

    // The envelope whose emitted events sit in the emitter, kept for their trace context and source id; its
    // TraceContext is the hop span's when the event is sampled, so the next hop becomes that span's child.
    private Envelope _emittedFrom;
    private bool _handingOff;

    public ProcessorIsolate(IsolatePool pool, int index, IProcessorFactory factory)
        : base(pool, index)
    {
        _factory = factory;
        _emitter = new IsolateEmitter(pool.Id, factory.NamedOutputs.Count);
        _handedPerSlot = new int[_emitter.SlotCount];
    }

    protected override void CreateInstance()
    {
        _processor = null;
        _batchProcessor = null;
        _processor = _factory.CreateForIsolate(Index);
        _batchProcessor = _processor as IBatchProcessor;
    }

    protected override async ValueTask HandleBatchAsync(CancellationToken stop)
    {
        if (_batchProcessor is not null)
        {
            await HandleWholeBatchAsync(stop).ConfigureAwait(false);
            return;
        }
        var tracer = Pool.Tracer;
        var mailboxWait = Instruments.MailboxWait;
        var duration = Instruments.Duration!;
        var policy = Pool.FailurePolicy;
        var dropped = 0;
        var sent = 0;
        // The batch left the mailbox just now: the end of every envelope's mailbox wait, and the start of the first
        // event's processing. A timed event's end is the next one's start when nothing waited in between.
        var dequeued = BatchTaken;
        var started = FreshBatch ? dequeued : NotTimed;
        FreshBatch = false;
        try
        {
            while (BatchPosition < BatchCount)
            {
                stop.ThrowIfCancellationRequested();
                var envelope = Batch[BatchPosition];
                var input = envelope.Event;
                var waited = dequeued - envelope.EnqueuedTimestamp;
                // Null (and no Activity at all) unless the event is sampled. While the processor runs, the hop span is
                // Activity.Current, so the processor's code, its logs and the exemplars below see it.
                var span = _span = tracer.StartHop(envelope.TraceContext, Index, envelope.Attempt, waited);
                try
                {
                    if (envelope.Attempt == 1)
                    {
                        // A retry after a crash is the same dequeue; it is not counted twice.
                        Record(mailboxWait, waited, span);
                    }
                    var timed = span is not null || --_untilTimed == 0;
                    if (timed)
                    {
                        if (span is null)
                        {
                            _untilTimed = TimingStride;
                        }
                        if (started == NotTimed)
                        {
                            started = Stopwatch.GetTimestamp();
                        }
                    }
                    _attemptStarted = timed ? started : NotTimed;
                    if (!input.IsParsed && !ParsedOrDeadLettered(envelope, span))
                    {
                        BatchPosition++;
                        started = NotTimed;
                        continue;
                    }
                    bool succeeded;
                    try
                    {
                        succeeded = await policy.RunAsync(new EventAttempt(this), stop).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        // A crash (a corrupted instance, the hard stop) leaves the loop: what the attempt emitted goes now.
                        PipelineTracing.RecordException(span, ex);
                        PipelineTracing.RecordFailure(span, ex.GetType().FullName!, ex.Message);
                        _emitter.ReleaseAll(keep: input);
                        throw;
                    }
                    if (!succeeded)
                    {
                        BatchPosition++;
                        started = NotTimed;
                        continue;
                    }
                    if (_attemptStarted == NotTimed)
                    {
                        started = NotTimed;
                    }
                    else
                    {
                        started = Stopwatch.GetTimestamp();
                        RecordDuration(duration, started - _attemptStarted, span);
                    }
                    span?.SetTag(TelemetryNames.AttemptAttribute, Batch[BatchPosition].Attempt);
                    BatchPosition++;
                    if (_emitter.Count == 0)
                    {
                        dropped++;
                        PipelineTracing.RecordDrop(span, ComponentCounters.DroppedByProcessor);
                        envelope.Settle(EventOutcome.Dropped);
                        input.Release();
                        continue;
                    }
                    if (!_emitter.Contains(input))
                    {
                        // The processor replaced the event with others (a split): the input is done with.
                        input.Release();
                    }
                    // Each emitted event is a copy to settle; counted before any of them is handed on.
                    if (_emitter.Count > 1)
                    {
                        envelope.Ack?.AddCopies(envelope.Ticket, _emitter.Count - 1);
                    }
                    _emittedFrom = span is null ? envelope : envelope with { TraceContext = span.Context };
                    var handingOff = HandOffAsync(stop);
                    if (handingOff.IsCompletedSuccessfully)
                    {
                        // Every mailbox took its event at once: the next event starts where this one's work ended.
                        sent += handingOff.Result;
                    }
                    else
                    {
                        // A full mailbox made the hand-off wait; that wait is nobody's processing time.
                        sent += await handingOff.ConfigureAwait(false);
                        started = NotTimed;
                    }
                }
                finally
                {
                    // The span ends after the hand-off, so it covers waiting on a full downstream mailbox too; and
                    // nothing of this event stays current for the next one on this loop.
                    _span = null;
                    PipelineTracing.End(span);
                }
            }
        }
        finally
        {
            FlushBatchCounters(dropped, sent);
        }
    }

    /// <summary>
    /// Parses input a source handed on as text (<see cref="Event.Unparsed"/>): here, in the stage's isolates, several
    /// events parse in parallel where the source's one thread would parse them one after another. Text that is not a
    /// JSON object is input that never became an event: counted as invalid input of this stage, logged (rate-limited)
    /// and dead-lettered as raw text with the reason, without retries (parsing it again cannot succeed).
    /// </summary>
    private bool ParsedOrDeadLettered(in Envelope envelope, Activity? span)
    {
        var input = envelope.Event;
        try
        {
            input.EnsureParsed();
            return true;
        }
        catch (EventFormatException ex)
        {
            var reason = input.InputLine > 0 ? $"line {input.InputLine}: {ex.Message}" : ex.Message;
            Counters.InvalidInputs.Inc();
            if (_rejectedInput.ShouldLog(out var suppressed))
            {
                Logger.Warning("{ComponentId} rejected input of {Bytes} bytes from {SourceId}: {Reason}{Suppressed:l}",
                    Pool.Id, input.UnparsedText.Length, envelope.SourceId, reason, suppressed > 0 ? $" ({suppressed} more not logged)" : "");
            }
            PipelineTracing.RecordFailure(span, ComponentCounters.InvalidInput, reason);
            Pool.DeadLetter(reason, envelope);
            return false;
        }
    }

    /// <summary>Handing on: the input's position is already past, and the outputs carry its (hop span's) context.</summary>
    protected override bool TryGetHandledEnvelope(out Envelope envelope)
    {
        if (_handingOff)
        {
            envelope = _emittedFrom;
            return true;
        }
        if (_loggingFor >= 0)
        {
            envelope = Batch[_loggingFor];
            return true;
        }
        return base.TryGetHandledEnvelope(out envelope);
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
        if (Pool.FailurePolicy.IsExhausted(inFlight.Attempt))
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

    /// <returns>How many events were handed on.</returns>
    /// <remarks>
    /// Synchronous while every mailbox takes its event at once (the state machine of an async method per event cost
    /// 3 % of a filter stage's CPU); the first hand-off that has to wait continues in <see cref="HandOffRestAsync"/>.
    /// </remarks>
    private ValueTask<int> HandOffAsync(CancellationToken stop)
    {
        _handingOff = true;
        var handed = 0;
        var outputs = Pool.Outputs;
        // One clock read for every output of this input: when they entered the next mailboxes.
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
                // Nulled before the hand-off: from here the output owns it, even if the hand-off is cancelled.
                events[i] = null!;
                // Without limits the hand-off waits for room until the hard stop: it is accepted or, with no consumer, unconsumed.
                var pending = outputs[slot].SendAsync(Next(evt, now), OfferLimits.None, stop);
                if (!pending.IsCompletedSuccessfully)
                {
                    return HandOffRestAsync(pending, slot, i, handed, now, stop);
                }
                handed += Count(pending.Result, slot);
            }
        }
        _emitter.Clear();
        _handingOff = false;
        return new(handed);
    }

    /// <summary>The hand-off from the event at (<paramref name="slot"/>, <paramref name="index"/>) on, whose send is <paramref name="pending"/>.</summary>
    private async ValueTask<int> HandOffRestAsync(ValueTask<HandOffResult> pending, int slot, int index, int handed, long now, CancellationToken stop)
    {
        handed += Count(await pending.ConfigureAwait(false), slot);
        var outputs = Pool.Outputs;
        for (; slot < _emitter.SlotCount; slot++, index = -1)
        {
            var events = _emitter.Slot(slot);
            for (var i = index + 1; i < events.Count; i++)
            {
                var evt = events[i];
                if (evt is null)
                {
                    continue;
                }
                events[i] = null!;
                handed += Count(await outputs[slot].SendAsync(Next(evt, now), OfferLimits.None, stop).ConfigureAwait(false), slot);
            }
        }
        _emitter.Clear();
        _handingOff = false;
        return handed;
    }

    private Envelope Next(Event evt, long now) => new(
        evt, _emittedFrom.TraceContext, _emittedFrom.IngestTimestamp, 1, _emittedFrom.SourceId, now, _emittedFrom.NewTraceId,
        _emittedFrom.Ack, _emittedFrom.Ticket);

    /// <returns>1 when the event was handed on.</returns>
    private int Count(HandOffResult result, int slot)
    {
        if (result == HandOffResult.Accepted)
        {
            _handedPerSlot[slot]++;
            return 1;
        }
        // An output nobody reads (a route's _unmatched, say): counted once per batch, not per event, so the
        // isolates of a pool do not contend on one shared counter for every event.
        _unconsumedInBatch++;
        return 0;
    }

    /// <summary>A timed event: a sampled one with its exemplar, an unsampled one for the <see cref="TimingStride"/> it stands for.</summary>
    private static void RecordDuration(LatencyRecorder recorder, long ticks, Activity? span)
    {
        if (span is null)
        {
            recorder.RecordTicks(ticks, TimingStride);
        }
        else
        {
            recorder.RecordWithExemplar(ticks);
        }
    }

    /// <summary>A sampled event's observation goes to the histogram with its span as exemplar; others are only counted.</summary>
    private static void Record(LatencyRecorder recorder, long ticks, Activity? span)
    {
        if (span is null)
        {
            recorder.RecordTicks(ticks);
        }
        else
        {
            recorder.RecordWithExemplar(ticks);
        }
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

    /// <summary>The event at the batch position, as the failure policy retries it.</summary>
    private readonly struct EventAttempt(ProcessorIsolate isolate) : IRetriedWork
    {
        public int Attempt => isolate.Batch[isolate.BatchPosition].Attempt;

        public Activity? Span => isolate._span;

        public string Description => "an event";

        public ValueTask AttemptAsync(CancellationToken stop)
            => isolate._processor!.ProcessAsync(isolate.Batch[isolate.BatchPosition].Event, isolate._emitter, stop);

        public void AttemptFailed()
        {
            if (isolate._attemptStarted != NotTimed)
            {
                RecordDuration(isolate.Instruments.Duration!, Stopwatch.GetTimestamp() - isolate._attemptStarted, isolate._span);
            }
            isolate._emitter.ReleaseAll(keep: isolate.Batch[isolate.BatchPosition].Event);
            isolate.Counters.ProcessingFailures.Inc();
        }

        public void StartNextAttempt()
        {
            ref var envelope = ref isolate.Batch[isolate.BatchPosition];
            envelope = envelope.NextAttempt();
            if (isolate._attemptStarted != NotTimed)
            {
                isolate._attemptStarted = Stopwatch.GetTimestamp();
            }
        }

        public void DeadLetter(string reason) => isolate.Pool.DeadLetter(reason, isolate.Batch[isolate.BatchPosition]);
    }
}
