using System.Diagnostics;
using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// One worker of a stage: a private processor or sink instance, a mailbox, and its own loop. This base class is
/// the supervisor: it runs the loop, and when the loop faults it replaces the instance, retries the in-flight
/// envelopes and restarts with backoff, until the stage's restart budget runs out.
/// </summary>
/// <remarks>
/// The loop takes up to <see cref="IsolatePoolSettings.BatchSize"/> envelopes per wake into <see cref="Batch"/>, which
/// survives a restart: the envelopes a crash interrupted are the first the new instance sees.
/// </remarks>
internal abstract class Isolate : IHandledEventTrace
{
    private readonly Envelope[] _batch;

    protected Isolate(IsolatePool pool, int index)
    {
        Pool = pool;
        Index = index;
        Settings = pool.Settings;
        Logger = pool.Logger.ForContext(TelemetryNames.IsolateProperty, index);
        var counters = pool.Counters;
        // Behind a disk buffer the buffer applies when_full; its reader waits for room in the mailboxes.
        var whenFull = Settings.Buffer is { Type: Buffers.BufferType.Disk } ? WhenFull.Block : Settings.WhenFull;
        Mailbox = new Mailbox(
            Math.Max(1, Settings.Mailbox),
            whenFull,
            whenFull == WhenFull.DropNewest
                ? dropped =>
                {
                    counters.MailboxFullDrops.Inc();
                    // Called inside the producer's TryWrite, so the current span is the producer's hop of this event.
                    PipelineTracing.RecordDrop(Activity.Current, ComponentCounters.MailboxFull);
                    dropped.Settle(Components.EventOutcome.Dropped);
                    dropped.Event.Release();
                }
                : null);
        _batch = new Envelope[Math.Max(1, Settings.BatchSize)];
        LogContext = new IsolateLogContext(pool.Id, index, this);
        Instruments = counters.Metrics.CreateIsolateInstruments(index, Mailbox.Capacity, pool.Instruments);
    }

    public int Index { get; }

    public Mailbox Mailbox { get; }

    /// <summary>True once the loop ended (drained, stopped or gave up).</summary>
    public bool HasExited { get; private set; }

    /// <summary>True while the supervisor waits out the backoff before restarting a crashed loop.</summary>
    public bool IsRestarting { get; private set; }

    /// <summary>Mailbox depth and busy time, read when metrics are collected.</summary>
    public IsolateInstruments Instruments { get; }

    protected IsolatePool Pool { get; }

    protected IsolatePoolSettings Settings { get; }

    protected ILogger Logger { get; }

    /// <summary>The current batch: entries [<see cref="BatchPosition"/>, <see cref="BatchCount"/>) are still to handle.</summary>
    protected Envelope[] Batch => _batch;

    /// <summary>The next envelope of the batch to handle; everything before it is done.</summary>
    protected int BatchPosition { get; set; }

    protected int BatchCount { get; private set; }

    /// <summary>Ends the batch after its first <paramref name="count"/> entries (the rest were taken out of it).</summary>
    protected void TruncateBatch(int count)
    {
        Debug.Assert(count >= BatchPosition && count <= BatchCount, "only entries not yet handled are taken out");
        Array.Clear(_batch, count, BatchCount - count);
        BatchCount = count;
    }

    /// <summary>When the current batch was taken out of the mailbox (<see cref="Stopwatch"/> ticks): every envelope's dequeue time.</summary>
    protected long BatchTaken { get; private set; }

    /// <summary>
    /// True from taking a batch until <see cref="HandleBatchAsync"/> clears it: false when the handling is resumed after
    /// a crash, when <see cref="BatchTaken"/> no longer says when the work started.
    /// </summary>
    protected bool FreshBatch { get; set; }

    protected ComponentCounters Counters => Pool.Counters;

    /// <summary>What this isolate's log lines carry: its stage and index, and the ids of the event it handles.</summary>
    protected IsolateLogContext LogContext { get; }

    /// <summary>For the log enricher, when a line is logged: the event this isolate is handling right now.</summary>
    public bool TryGetHandledTrace(out ActivityContext context, out CompactTraceId newTraceId)
    {
        if (TryGetHandledEnvelope(out var envelope))
        {
            context = envelope.TraceContext;
            newTraceId = envelope.NewTraceId;
            return true;
        }
        context = default;
        newTraceId = default;
        return false;
    }

    internal Task Start(CancellationToken stop) => Task.Run(() => SuperviseAsync(stop), CancellationToken.None);

    /// <summary>After the hard stop, once the loop has exited: dead-letters the unfinished batch and the mailbox.</summary>
    internal void AbandonLeftovers()
    {
        if (!HasExited)
        {
            // A processor that ignores cancellation still owns its loop; reading its mailbox now would race it.
            return;
        }
        AbandonHeldEvents(envelope => Pool.AbandonUndrained(envelope));
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            Pool.AbandonUndrained(_batch[i]);
        }
        BatchPosition = BatchCount;
        while (Mailbox.TryRead(out var envelope))
        {
            Pool.AbandonUndrained(envelope);
        }
    }

    /// <summary>Makes the private instance from the factory (the first time and after every crash).</summary>
    protected abstract void CreateInstance();

    /// <summary>Handles <see cref="Batch"/> from <see cref="BatchPosition"/> on, advancing it.</summary>
    protected abstract ValueTask HandleBatchAsync(CancellationToken stop);

    /// <summary>The mailbox ran empty (a sink flushes here).</summary>
    protected virtual ValueTask OnMailboxEmptyAsync(CancellationToken stop) => default;

    /// <summary>The mailbox is completed and drained: the last chance to flush.</summary>
    protected virtual ValueTask OnDrainedAsync(CancellationToken stop) => default;

    /// <summary>
    /// The loop faulted with <paramref name="reason"/>. Charge an attempt to the in-flight envelopes and
    /// dead-letter the ones that have used them all.
    /// </summary>
    protected abstract void OnCrashed(string reason);

    /// <summary>Disposes the private instance, if any; never throws.</summary>
    protected abstract ValueTask DisposeInstanceAsync();

    /// <summary>
    /// The envelope being handled: the one at the batch position (or the next one, between two events). A sink's
    /// batch is logged about by its first event; a sampled batch's lines carry its delivery span instead.
    /// </summary>
    protected virtual bool TryGetHandledEnvelope(out Envelope envelope)
    {
        var position = BatchPosition;
        if (position < BatchCount)
        {
            envelope = _batch[position];
            return true;
        }
        envelope = default;
        return false;
    }

    /// <summary>Events the isolate holds outside the batch (a processor's emitted, not yet handed on).</summary>
    protected virtual void AbandonHeldEvents(Action<Envelope> abandon)
    {
    }

    private async Task SuperviseAsync(CancellationToken stop)
    {
        // The loop's own flow starts clean: nothing current from whoever started the topology leaks into its spans,
        // and everything the isolate runs (processor, sink, their awaits) sees this isolate's log context.
        Activity.Current = null;
        LogContext.Enter();
        try
        {
            while (true)
            {
                if (Pool.IsFailed)
                {
                    await DisposeInstanceAsync().ConfigureAwait(false);
                    await DeadLetterEverythingAsync(stop).ConfigureAwait(false);
                    return;
                }
                var created = false;
                try
                {
                    CreateInstance();
                    created = true;
                    if (await RunLoopAsync(stop).ConfigureAwait(false))
                    {
                        await DisposeInstanceAsync().ConfigureAwait(false);
                        return;
                    }
                    // The stage failed while this isolate was healthy: go round to dead-lettering.
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    await DisposeInstanceAsync().ConfigureAwait(false);
                    return;
                }
                catch (Exception ex)
                {
                    if (!await RecoverAsync(ex, chargeInFlight: created, stop).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The hard stop: whatever is left is counted undrained by the topology.
        }
        catch (Exception ex)
        {
            // Only a bug in the runtime itself gets here. The stage is marked failed so it is visible, and the mailbox
            // is still emptied into the dead-letter output so no producer waits on it forever.
            Pool.MarkFailed($"isolate supervisor crashed: {FailurePolicy.Describe(ex)}", ex);
            try
            {
                await DeadLetterEverythingAsync(stop).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already failed and logged; the topology's shutdown report counts whatever is left.
            }
        }
        finally
        {
            HasExited = true;
        }
    }

    /// <returns>False when the isolate should stop (hard stop during the backoff).</returns>
    private async ValueTask<bool> RecoverAsync(Exception ex, bool chargeInFlight, CancellationToken stop)
    {
        var reason = "isolate crashed: " + FailurePolicy.Describe(ex);
        Counters.Crashes.Inc();
        if (chargeInFlight)
        {
            // A factory that throws in CreateForIsolate never touched the batch; only a crash mid-work costs an attempt.
            OnCrashed(reason);
        }
        await DisposeInstanceAsync().ConfigureAwait(false);
        if (!Pool.TryTakeRestart(out var restarts))
        {
            // The one log line of the stage failure carries this last crash; no separate crash line.
            Pool.MarkFailed($"more than {Settings.MaxRestarts} restarts within {Settings.RestartWindow}; last: {FailurePolicy.Describe(ex)}", ex);
            return true;
        }
        var delay = Pool.Backoff.Delay(restarts);
        Logger.Error(ex, "Isolate {Isolate} of {ComponentId} crashed; restarting with a new instance in {Delay} (restart {Restarts} within {Window})",
            Index, Pool.Id, delay, restarts, Settings.RestartWindow);
        Counters.Metrics.Restarts.Inc();
        IsRestarting = true;
        try
        {
            await Task.Delay(delay, Pool.Time, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            IsRestarting = false;
        }
        return true;
    }

    /// <returns>True when the mailbox completed and drained; false when the stage failed meanwhile.</returns>
    private async ValueTask<bool> RunLoopAsync(CancellationToken stop)
    {
        while (true)
        {
            if (Pool.IsFailed)
            {
                return false;
            }
            if (BatchPosition < BatchCount)
            {
                await HandleBatchAsync(stop).ConfigureAwait(false);
                continue;
            }
            if (FillBatch())
            {
                if (BatchCount < _batch.Length && BatchLinger > TimeSpan.Zero)
                {
                    await TopUpBatchAsync(stop).ConfigureAwait(false);
                }
                continue;
            }
            await OnMailboxEmptyAsync(stop).ConfigureAwait(false);
            var waiting = Mailbox.WaitToReadAsync(stop);
            if (!waiting.IsCompletedSuccessfully)
            {
                // Idle from here until the next batch is taken (utilization is the rest); no clock read while busy.
                Instruments.IdleFrom(Stopwatch.GetTimestamp());
            }
            if (!await waiting.ConfigureAwait(false))
            {
                await OnDrainedAsync(stop).ConfigureAwait(false);
                return true;
            }
        }
    }

    /// <summary>How long a partial batch may wait for more events before it is handled (sinks: <c>batch_timeout</c>).</summary>
    protected virtual TimeSpan BatchLinger => TimeSpan.Zero;

    /// <summary>
    /// Waits up to <see cref="BatchLinger"/> for a partial batch to fill. Costs one timer per partial batch, never one
    /// per event; the mailbox completing (shutdown drain) or <paramref name="stop"/> ends the wait at once.
    /// </summary>
    private async ValueTask TopUpBatchAsync(CancellationToken stop)
    {
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(stop);
        linger.CancelAfter(BatchLinger);
        try
        {
            while (BatchCount < _batch.Length)
            {
                var count = BatchCount;
                while (count < _batch.Length && Mailbox.TryRead(out _batch[count]))
                {
                    count++;
                }
                if (count > BatchCount)
                {
                    // Counted as taken, not when the wait ends: what the isolate holds is received, even while it waits.
                    Counters.Metrics.Received.Inc(count - BatchCount);
                    BatchCount = count;
                    continue;
                }
                if (!await Mailbox.WaitToReadAsync(linger.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (linger.IsCancellationRequested)
        {
            // The batch waited long enough (or the hard stop came): deliver what there is.
        }
        // The wait for the batch to fill is part of every envelope's time in the mailbox.
        BatchTaken = Stopwatch.GetTimestamp();
    }

    private bool FillBatch()
    {
        var count = 0;
        while (count < _batch.Length && Mailbox.TryRead(out _batch[count]))
        {
            count++;
        }
        BatchPosition = 0;
        BatchCount = count;
        if (count > 0)
        {
            BatchTaken = Stopwatch.GetTimestamp();
            FreshBatch = true;
            Instruments.IdleUntil(BatchTaken);
            Counters.Metrics.Received.Inc(count);
        }
        return count > 0;
    }

    private async ValueTask DeadLetterEverythingAsync(CancellationToken stop)
    {
        void Fail(Envelope envelope) => Pool.DeadLetter(IsolatePool.StageFailedReason, envelope);
        AbandonHeldEvents(Fail);
        for (var i = BatchPosition; i < BatchCount; i++)
        {
            Fail(_batch[i]);
        }
        BatchPosition = BatchCount;
        while (await Mailbox.WaitToReadAsync(stop).ConfigureAwait(false))
        {
            while (Mailbox.TryRead(out var envelope))
            {
                Counters.Metrics.Received.Inc();
                Fail(envelope);
            }
        }
    }
}
