using System.Collections;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;
using Serilog.Events;

namespace Pipeline.Isolates;

/// <summary>
/// The batch path, for a processor that takes whole batches (<see cref="IBatchProcessor"/>): one call per batch
/// instead of one per event, because a call into a script runtime costs 10–15 µs however little the script does.
/// </summary>
/// <remarks>
/// <para>A call that fails as a whole (a runaway script interrupted, a heap blown) must not cost the good events of
/// the batch: the batch is retried in halves, down to single events, so only an event that fails on its own reaches
/// the failure policy (retried alone, then dead-lettered with the reason) and every other event is delivered once.
/// What a failed call produced is thrown away, never handed on.</para>
/// <para>Outputs are handed on in input order once the whole batch is resolved, with the input's envelope as
/// everywhere else: its trace context, acknowledgement ticket and source.</para>
/// </remarks>
internal sealed partial class ProcessorIsolate
{
    // Per batch entry, sized to the batch and reused: what each input produced, its own failure, its hop span.
    private List<(int Slot, Event Event)>[]? _outputsOf;
    private Exception?[]? _failureOf;
    private Activity?[]? _spanOf;
    private WholeBatchOutput? _output;

    /// <summary>The batch entry whose script line is being logged, or -1: the log enricher's event then.</summary>
    private int _loggingFor = -1;

    private async ValueTask HandleWholeBatchAsync(CancellationToken stop)
    {
        var size = Batch.Length;
        if (_outputsOf is null)
        {
            _outputsOf = new List<(int, Event)>[size];
            for (var i = 0; i < size; i++)
            {
                _outputsOf[i] = [];
            }
            _failureOf = new Exception?[size];
            _spanOf = new Activity?[size];
            _output = new WholeBatchOutput(this);
        }
        // After a crash the batch is handled again from its position: nothing an earlier call produced counts.
        DiscardResults(0, size);
        var dropped = 0;
        var sent = 0;
        try
        {
            var pending = StartEntries();
            if (pending == 0)
            {
                return;
            }
            var started = Stopwatch.GetTimestamp();
            await ResolveAsync(BatchPosition, pending, stop).ConfigureAwait(false);
            RecordBatchDuration(Stopwatch.GetTimestamp() - started, pending);
            while (BatchPosition < BatchCount)
            {
                var (handed, wasDropped) = await DeliverEntryAsync(stop).ConfigureAwait(false);
                sent += handed;
                dropped += wasDropped ? 1 : 0;
            }
        }
        finally
        {
            EndSpans();
            FlushBatchCounters(dropped, sent);
        }
    }

    /// <summary>
    /// Records each entry's mailbox wait and starts its hop span; dead-letters input text that does not parse and
    /// takes it out of the batch, so the processor sees only events. Returns how many entries are left to process.
    /// </summary>
    private int StartEntries()
    {
        var tracer = Pool.Tracer;
        var mailboxWait = Instruments.MailboxWait;
        var dequeued = BatchTaken;
        // Handled again after a crash, the batch's mailbox waits were recorded the first time.
        var fresh = FreshBatch;
        FreshBatch = false;
        var kept = BatchPosition;
        for (var read = BatchPosition; read < BatchCount; read++)
        {
            var envelope = Batch[read];
            var waited = dequeued - envelope.EnqueuedTimestamp;
            var span = tracer.StartHop(envelope.TraceContext, Index, envelope.Attempt, waited);
            Activity.Current = span;
            if (fresh && envelope.Attempt == 1)
            {
                Record(mailboxWait, waited, span);
            }
            if (!envelope.Event.IsParsed && !ParsedOrDeadLettered(envelope, span))
            {
                PipelineTracing.End(span);
                continue;
            }
            Batch[kept] = envelope;
            _spanOf![kept] = span;
            kept++;
        }
        // No span stays current while the batch is processed: each is made current again when its event is handed on.
        Activity.Current = null;
        TruncateBatch(kept);
        return kept - BatchPosition;
    }

    /// <summary>Processes entries [<paramref name="start"/>, +<paramref name="count"/>) in one call, or in halves when it fails.</summary>
    private async ValueTask ResolveAsync(int start, int count, CancellationToken stop)
    {
        try
        {
            await CallAsync(start, count, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (FailurePolicy.Handles(ex, stop) || ex is InstanceCorruptedException)
        {
            DiscardResults(start, count);
            var cause = ex is InstanceCorruptedException corrupted ? await ReplaceInstanceAsync(corrupted).ConfigureAwait(false) : ex;
            if (count == 1)
            {
                _failureOf![start] = cause;
                return;
            }
            Counters.Metrics.BatchSplits.Inc();
            var half = count / 2;
            await ResolveAsync(start, half, stop).ConfigureAwait(false);
            await ResolveAsync(start + half, count - half, stop).ConfigureAwait(false);
        }
    }

    private ValueTask CallAsync(int start, int count, CancellationToken stop)
    {
        var output = _output!;
        output.Select(start, count);
        return _batchProcessor!.ProcessBatchAsync(output, output, stop);
    }

    /// <summary>
    /// The instance said it can no longer be trusted (its runtime was interrupted or ran out of heap): it is replaced
    /// now, counted as a crash and a restart. Not charged to the stage's restart budget: the failure belongs to the
    /// event that caused it, which the failure policy dead-letters, and a runaway event isolated by halving a batch of
    /// 64 costs some eight replacements; charging them would fail the stage and dead-letter the good events with it.
    /// Returns what the failed work is told.
    /// </summary>
    private async ValueTask<Exception> ReplaceInstanceAsync(InstanceCorruptedException corrupted)
    {
        Counters.Crashes.Inc();
        Counters.Metrics.Restarts.Inc();
        Logger.Error(corrupted.InnerException ?? corrupted,
            "Isolate {Isolate} of {ComponentId} replaces its processor instance: {Reason}", Index, Pool.Id, corrupted.Message);
        await DisposeInstanceAsync().ConfigureAwait(false);
        CreateInstance();
        return corrupted.InnerException ?? corrupted;
    }

    /// <summary>Hands on what the entry at the batch position produced, after retrying it alone if it failed.</summary>
    /// <returns>How many events were handed on, and whether the input was dropped.</returns>
    private async ValueTask<(int Handed, bool Dropped)> DeliverEntryAsync(CancellationToken stop)
    {
        var position = BatchPosition;
        var envelope = Batch[position];
        var span = _span = _spanOf![position];
        Activity.Current = span;
        try
        {
            if (_failureOf![position] is { } failure)
            {
                _failureOf[position] = null;
                if (!await Pool.FailurePolicy.RunAsync(new AloneAttempt(this, failure), stop).ConfigureAwait(false))
                {
                    BatchPosition++;
                    return (0, false);
                }
            }
            var input = envelope.Event;
            var outputs = _outputsOf![position];
            foreach (var (slot, evt) in outputs)
            {
                if (slot == 0)
                {
                    _emitter.Emit(evt);
                }
                else
                {
                    _emitter.Emit(slot - 1, evt);
                }
            }
            outputs.Clear();
            span?.SetTag(TelemetryNames.AttemptAttribute, Batch[position].Attempt);
            BatchPosition++;
            if (_emitter.Count == 0)
            {
                PipelineTracing.RecordDrop(span, ComponentCounters.DroppedByProcessor);
                envelope.Settle(EventOutcome.Dropped);
                input.Release();
                return (0, true);
            }
            if (!_emitter.Contains(input))
            {
                input.Release();
            }
            if (_emitter.Count > 1)
            {
                envelope.Ack?.AddCopies(envelope.Ticket, _emitter.Count - 1);
            }
            _emittedFrom = span is null ? envelope : envelope with { TraceContext = span.Context };
            return (await HandOffAsync(stop).ConfigureAwait(false), false);
        }
        catch (Exception ex) when (span is not null)
        {
            PipelineTracing.RecordException(span, ex);
            PipelineTracing.RecordFailure(span, ex.GetType().FullName!, ex.Message);
            throw;
        }
        finally
        {
            _span = null;
            _spanOf[position] = null;
            PipelineTracing.End(span);
            Activity.Current = null;
        }
    }

    /// <summary>One call's time, shared evenly by its events; a sampled event's share carries its span as exemplar.</summary>
    private void RecordBatchDuration(long ticks, int events)
    {
        var duration = Instruments.Duration!;
        var share = ticks / events;
        var unsampled = 0;
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            if (_spanOf![i] is { } span)
            {
                Activity.Current = span;
                duration.RecordWithExemplar(share);
            }
            else
            {
                unsampled++;
            }
        }
        Activity.Current = null;
        if (unsampled > 0)
        {
            duration.RecordTicks(share, unsampled);
        }
    }

    /// <summary>Throws away what entries [<paramref name="start"/>, +<paramref name="count"/>) produced: it is never handed on.</summary>
    private void DiscardResults(int start, int count)
    {
        if (_outputsOf is null)
        {
            return;
        }
        for (var i = start; i < start + count; i++)
        {
            DiscardOutputs(i);
            _failureOf![i] = null;
        }
    }

    private void DiscardOutputs(int entry)
    {
        var outputs = _outputsOf![entry];
        var input = Batch[entry].Event;
        foreach (var (_, evt) in outputs)
        {
            if (!ReferenceEquals(evt, input))
            {
                evt.Release();
            }
        }
        outputs.Clear();
    }

    /// <summary>Ends the hop spans of entries that were not handed on (a crash, the hard stop).</summary>
    private void EndSpans()
    {
        if (_spanOf is null)
        {
            return;
        }
        for (var i = 0; i < _spanOf.Length; i++)
        {
            if (_spanOf[i] is { } span)
            {
                _spanOf[i] = null;
                PipelineTracing.End(span);
            }
        }
        Activity.Current = null;
    }

    /// <summary>A batch's counts, added once per batch (not per event) so the isolates do not contend on shared counters.</summary>
    private void FlushBatchCounters(int dropped, int sent)
    {
        var outputs = Pool.Outputs;
        for (var slot = 0; slot < _handedPerSlot.Length; slot++)
        {
            if (_handedPerSlot[slot] > 0)
            {
                outputs[slot].CountHandedOn(_handedPerSlot[slot]);
                _handedPerSlot[slot] = 0;
            }
        }
        if (dropped > 0)
        {
            Counters.ProcessorDrops.Inc(dropped);
        }
        if (_unconsumedInBatch > 0)
        {
            Counters.UnconsumedDrops.Inc(_unconsumedInBatch);
            _unconsumedInBatch = 0;
        }
        if (sent > 0)
        {
            Counters.Metrics.Sent.Inc(sent);
        }
    }

    /// <summary>A line the processor's user code wrote for a batch entry, logged as that event's.</summary>
    private void LogFor(int entry, LogEventLevel level, string line)
    {
        _loggingFor = entry;
        var previous = Activity.Current;
        Activity.Current = _spanOf![entry];
        try
        {
            Logger.Write(level, "{ComponentId}: {ScriptLine:l}", Pool.Id, line);
        }
        finally
        {
            Activity.Current = previous;
            _loggingFor = -1;
        }
    }

    /// <summary>
    /// The events of the entries one call processes, as the processor sees them, and where it reports back: one
    /// object per isolate, pointed at another stretch of the batch for every call.
    /// </summary>
    private sealed class WholeBatchOutput(ProcessorIsolate isolate) : IReadOnlyList<Event>, IBatchEmitter
    {
        private int _start;
        private int _count;

        public int Count => _count;

        public Event this[int index] => (uint)index < (uint)_count
            ? isolate.Batch[_start + index].Event
            : throw new ArgumentOutOfRangeException(nameof(index));

        public void Select(int start, int count)
        {
            _start = start;
            _count = count;
        }

        public void Emit(int input, int namedOutput, Event evt)
        {
            var entry = Entry(input);
            if (namedOutput < -1 || namedOutput >= isolate._emitter.SlotCount - 1)
            {
                throw new ArgumentOutOfRangeException(nameof(namedOutput), $"'{isolate.Pool.Id}' emitted to named output {namedOutput}, but it declares {isolate._emitter.SlotCount - 1}");
            }
            isolate._outputsOf![entry].Add((namedOutput + 1, evt));
        }

        public void Fail(int input, Exception error)
        {
            var entry = Entry(input);
            isolate.DiscardOutputs(entry);
            isolate._failureOf![entry] = error;
        }

        public void Log(int input, LogEventLevel level, string line) => isolate.LogFor(Entry(input), level, line);

        public IEnumerator<Event> GetEnumerator()
        {
            for (var i = 0; i < _count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private int Entry(int input) => (uint)input < (uint)_count
            ? _start + input
            : throw new ArgumentOutOfRangeException(nameof(input), $"input {input} is not in this batch of {_count}");
    }

    /// <summary>
    /// An entry that failed on its own, as the failure policy retries it: its first attempt is the failure the batch
    /// call reported, every further one a call with this event alone.
    /// </summary>
    private sealed class AloneAttempt(ProcessorIsolate isolate, Exception firstFailure) : IRetriedWork
    {
        private Exception? _firstFailure = firstFailure;

        public int Attempt => isolate.Batch[isolate.BatchPosition].Attempt;

        public Activity? Span => isolate._span;

        public string Description => "an event";

        public ValueTask AttemptAsync(CancellationToken stop)
        {
            if (_firstFailure is { } failure)
            {
                _firstFailure = null;
                return ValueTask.FromException(failure);
            }
            return isolate.AttemptAloneAsync(stop);
        }

        public void AttemptFailed()
        {
            isolate.DiscardOutputs(isolate.BatchPosition);
            isolate.Counters.ProcessingFailures.Inc();
        }

        public void StartNextAttempt()
        {
            ref var envelope = ref isolate.Batch[isolate.BatchPosition];
            envelope = envelope.NextAttempt();
        }

        public void DeadLetter(string reason) => isolate.Pool.DeadLetter(reason, isolate.Batch[isolate.BatchPosition]);
    }

    /// <summary>The entry at the batch position, processed alone; throws what it failed with.</summary>
    private async ValueTask AttemptAloneAsync(CancellationToken stop)
    {
        var position = BatchPosition;
        try
        {
            await CallAsync(position, 1, stop).ConfigureAwait(false);
        }
        catch (InstanceCorruptedException corrupted)
        {
            DiscardOutputs(position);
            ExceptionDispatchInfo.Throw(await ReplaceInstanceAsync(corrupted).ConfigureAwait(false));
        }
        if (_failureOf![position] is { } failure)
        {
            _failureOf[position] = null;
            ExceptionDispatchInfo.Throw(failure);
        }
    }
}
