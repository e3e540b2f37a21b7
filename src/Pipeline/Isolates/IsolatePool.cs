using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates.Buffers;
using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// A stage (or sink) at run time: N isolates that share nothing, the router that picks one per event, and the
/// stage-wide state the isolates' supervisors share (the restart budget and whether the stage has failed).
/// </summary>
/// <remarks>
/// The pool alone decides what happens to an envelope offered to it (<see cref="TryAdmit"/>): it enters a mailbox,
/// is dropped under <c>when_full: drop_newest</c>, is dead-lettered because the stage failed, or the mailbox is full
/// and the producer waits (<see cref="WaitForRoomAsync"/>) within whatever limits it has.
/// </remarks>
public sealed class IsolatePool
{
    /// <summary>Dead-letter reason for everything that reaches a stage after it failed.</summary>
    public const string StageFailedReason = "stage_failed";

    /// <summary>Dead-letter reason for what was still in a stage when the shutdown timeout ran out.</summary>
    public const string UndrainedReason = "undrained_at_shutdown";

    /// <summary>Dead-letter reason for an event whose record alone is larger than its sink's disk buffer.</summary>
    public const string LargerThanBufferReason = "larger_than_buffer_max_size";

    /// <summary>The discard reason of events dropped because a disk buffer was full under <c>when_full: drop_newest</c>.</summary>
    public const string BufferFullReason = "buffer_full";

    /// <summary>Tracing for pools built without a pipeline's: never samples, since nothing at its ingest did.</summary>
    private static readonly PipelineTracing UntracedPipeline = new("pipeline", TraceSampler.Create("always_off", null));

    private readonly Isolate[] _isolates;
    private readonly IRouter _router;
    private readonly RestartBudget _restarts;
    private readonly ComponentOutput[] _outputs;

    // Sinks only: the buffer's metrics, and the disk buffer in front of the mailboxes when buffer.type is disk.
    private readonly BufferInstruments? _bufferInstruments;
    private readonly DiskBuffer? _buffer;
    private readonly MetricCounter _bufferFullDrops;
    private int _upstreamsOpen;

    // A reload took this pool out (replaced or removed): what a sender that still read the old consumer list offers
    // after the mailboxes closed goes to the successor, or is dead-lettered when there is none. Set once.
    private volatile bool _retired;
    private IsolatePool? _successor;
    private CancellationToken _hardStop;
    private volatile bool _failed;
    private string? _failureReason;
    private long _undrained;
    private Task _completion = Task.CompletedTask;

    // Processors only: state the factory shares between this stage's isolates (started with them, disposed after them).
    private ISharedStageState? _sharedState;

    private IsolatePool(
        string id,
        ComponentKind kind,
        string type,
        IsolatePoolSettings settings,
        ComponentCounters counters,
        DeadLetterWriter deadLetters,
        ILogger logger,
        TimeProvider time,
        IReadOnlyList<string> namedOutputs,
        ComponentTracer tracer,
        Func<IsolatePool, int, Isolate> createIsolate,
        string? dataDirectory,
        CancellationToken building)
    {
        Tracer = tracer;
        Instruments = counters.Metrics.CreateStageInstruments(processor: kind == ComponentKind.Processor, sink: kind == ComponentKind.Sink);
        Id = id;
        Kind = kind;
        Type = type;
        Settings = settings;
        Counters = counters;
        DeadLetters = deadLetters;
        Logger = logger.ForContext(TelemetryNames.StageProperty, id);
        Time = time;
        _restarts = new RestartBudget(settings.MaxRestarts, settings.RestartWindow, time);
        Backoff = new RetryBackoff(settings.RetryBackoff, settings.RetryMaxBackoff);
        FailurePolicy = new FailurePolicy(id, settings.MaxAttempts, Backoff, time, Logger)
        {
            RetriesOutages = kind == ComponentKind.Sink,
            MaxElapsed = settings.RetryMaxElapsed,
        };
        _outputs = kind == ComponentKind.Sink ? [] : new ComponentOutput[namedOutputs.Count + 1];
        for (var i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] = new ComponentOutput(i == 0 ? null : namedOutputs[i - 1]);
        }
        if (kind == ComponentKind.Sink)
        {
            var disk = settings.Buffer is { Type: BufferType.Disk };
            _bufferInstruments = counters.Metrics.CreateBufferInstruments(disk);
            if (disk)
            {
                _buffer = DiskBuffer.Open(
                    dataDirectory ?? throw new InvalidOperationException($"sink '{id}': a disk buffer needs the pipeline's data_dir"),
                    id, settings.Buffer!, _bufferInstruments, Logger, tracer, time);
                _bufferFullDrops = counters.Metrics.DiscardCounter(BufferFullReason);
            }
        }
        var count = Math.Max(1, settings.Isolates);
        _isolates = new Isolate[count];
        for (var i = 0; i < count; i++)
        {
            // A stop during start-up is honoured between isolates, not after the largest pool is complete.
            building.ThrowIfCancellationRequested();
            _isolates[i] = createIsolate(this, i);
        }
        _router = settings.Router switch
        {
            RouterKind.RoundRobin => new RoundRobinRouter(count),
            RouterKind.LeastLoaded => new LeastLoadedRouter([.. _isolates.Select(i => i.Mailbox)]),
            RouterKind.KeyAffinity => new KeyAffinityRouter(
                settings.Key ?? throw new InvalidOperationException($"stage '{id}': router key_affinity needs 'key: <field path>', found none"),
                count),
            _ => throw new InvalidOperationException($"stage '{id}': unknown router {settings.Router}"),
        };
    }

    public string Id { get; }

    /// <summary>
    /// True for a stage whose isolates parse <see cref="Event.Unparsed"/> input before processing it and nothing reads
    /// the event before that: not a sink (it writes events as they are) and not a stage routed by a field's value
    /// (the router would parse on the sender's thread).
    /// </summary>
    internal bool ParsesInput => Kind == ComponentKind.Processor && Settings.Router != RouterKind.KeyAffinity;

    public ComponentKind Kind { get; }

    public string Type { get; }

    public IsolatePoolSettings Settings { get; }

    public ComponentCounters Counters { get; }

    public int IsolateCount => _isolates.Length;

    /// <summary>Outputs of a processor: index 0 is the default, index i + 1 the named output i. Empty for sinks.</summary>
    public IReadOnlyList<ComponentOutput> Outputs => _outputs;

    public bool IsFailed => _failed;

    public string? FailureReason => _failureReason;

    /// <summary>Envelopes every isolate's mailbox holds at most, together.</summary>
    public long MailboxCapacity => (long)_isolates.Length * _isolates[0].Mailbox.Capacity;

    /// <summary>Envelopes waiting in every isolate's mailbox.</summary>
    public int MailboxDepth
    {
        get
        {
            var depth = 0;
            foreach (var isolate in _isolates)
            {
                depth += isolate.Mailbox.Count;
            }
            return depth;
        }
    }

    /// <summary>Envelopes this stage could not process before the hard stop (counted, and dead-lettered).</summary>
    public long Undrained => Interlocked.Read(ref _undrained);

    /// <summary>Completes when every isolate's loop has ended.</summary>
    public Task Completion => _completion;

    internal IReadOnlyList<Isolate> Isolates => _isolates;

    /// <summary>This stage's spans: hop spans for a processor, delivery spans for a sink.</summary>
    internal ComponentTracer Tracer { get; }

    /// <summary>This stage's latency histograms, bound once and shared by its isolates.</summary>
    internal StageInstruments Instruments { get; }

    internal DeadLetterWriter DeadLetters { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Time { get; }

    /// <summary>The wait before a retry or a restart.</summary>
    internal RetryBackoff Backoff { get; }

    /// <summary>Retries, then dead-letters, what this stage's processor or sink fails on.</summary>
    internal FailurePolicy FailurePolicy { get; }

    /// <param name="tracing">The pipeline's tracing; null for none (no span is ever started then).</param>
    /// <param name="building">A stop requested while the pool is built: it throws <see cref="OperationCanceledException"/>.</param>
    public static IsolatePool ForProcessor(
        string id, string type, IsolatePoolSettings settings, IProcessorFactory factory, ComponentCounters counters, DeadLetterWriter deadLetters, ILogger logger,
        TimeProvider? time = null, PipelineTracing? tracing = null, CancellationToken building = default)
        => new(id, ComponentKind.Processor, type, settings, counters, deadLetters, logger, time ?? TimeProvider.System, factory.NamedOutputs,
            (tracing ?? UntracedPipeline).ForStage(id, type),
            (pool, index) => new ProcessorIsolate(pool, index, factory),
            dataDirectory: null,
            building)
        {
            _sharedState = factory as ISharedStageState,
        };

    /// <param name="tracing">The pipeline's tracing; null for none (no span is ever started then).</param>
    /// <param name="dataDirectory">Where a disk buffer keeps its files (under buffers/&lt;id&gt;); needed only with one.</param>
    /// <param name="building">A stop requested while the pool is built: it throws <see cref="OperationCanceledException"/>.</param>
    public static IsolatePool ForSink(
        string id, string type, IsolatePoolSettings settings, ISinkFactory factory, ComponentCounters counters, DeadLetterWriter deadLetters, ILogger logger,
        TimeProvider? time = null, PipelineTracing? tracing = null, string? dataDirectory = null, CancellationToken building = default)
        => new(id, ComponentKind.Sink, type, settings, counters, deadLetters, logger, time ?? TimeProvider.System, [],
            (tracing ?? UntracedPipeline).ForSink(id, type, factory.DeliversOverNetwork),
            (pool, index) => new SinkIsolate(pool, index, factory),
            dataDirectory,
            building)
        {
            _sharedState = factory as ISharedStageState,
        };

    /// <summary>The sink's disk buffer; null for a memory buffer (and for processors).</summary>
    internal DiskBuffer? DiskBuffer => _buffer;

    /// <summary>
    /// At metrics collection: each isolate's mailbox depth and utilization, and how many isolates are in each state.
    /// </summary>
    internal void UpdateGauges()
    {
        int running = 0, restarting = 0, failed = 0, finished = 0;
        foreach (var isolate in _isolates)
        {
            isolate.Instruments.Update(isolate.Mailbox.Count, isolate.HasExited);
            if (_failed)
            {
                failed++;
            }
            else if (isolate.HasExited)
            {
                finished++;
            }
            else if (isolate.IsRestarting)
            {
                restarting++;
            }
            else
            {
                running++;
            }
        }
        Instruments.SetIsolateStates(running, restarting, failed, finished);
        if (_buffer is not null)
        {
            _buffer.UpdateGauges();
        }
        else
        {
            _bufferInstruments?.Update(MailboxDepth, 0, (long)_isolates.Length * _isolates[0].Mailbox.Capacity);
        }
    }

    /// <summary>Dead-letter reason for an event a sender offered to a stage or sink a reload had just removed.</summary>
    public const string RemovedByReloadReason = "removed_by_reload";

    /// <summary>Wiring: one more producer feeds this pool; its mailboxes complete when all producers finished.</summary>
    internal void AddUpstream() => Interlocked.Increment(ref _upstreamsOpen);

    /// <summary>True once a reload took this pool out; it drains what it holds and ends.</summary>
    internal bool IsRetired => _retired;

    /// <summary>
    /// A reload took this pool out: <paramref name="successor"/> (its replacement, null when removed) gets what arrives
    /// after the mailboxes closed. The pool still drains its mailboxes once its remaining producers finished.
    /// </summary>
    internal void Retire(IsolatePool? successor)
    {
        _successor = successor;
        _retired = true;
    }

    /// <summary>A producer finished for good (a source returned, an upstream pool drained).</summary>
    internal void UpstreamFinished()
    {
        if (Interlocked.Decrement(ref _upstreamsOpen) == 0)
        {
            InputsFinished();
        }
    }

    /// <summary>
    /// Nothing more will be offered: the mailboxes complete, so each isolate drains and ends. Behind a disk buffer
    /// the buffer's reader completes them once it handed on everything the buffer holds.
    /// </summary>
    private void InputsFinished()
    {
        if (_buffer is not null)
        {
            _buffer.CompleteWriting();
        }
        else
        {
            CompleteMailboxes();
        }
    }

    internal void CompleteMailboxes()
    {
        foreach (var isolate in _isolates)
        {
            isolate.Mailbox.Complete();
        }
    }

    internal void Start(CancellationToken stop)
    {
        _hardStop = stop;
        _sharedState?.Start(new StageRuntime(Logger, Counters.Metrics));
        var loops = new Task[_isolates.Length];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = _isolates[i].Start(stop);
        }
        if (_buffer is null)
        {
            _completion = _sharedState is null ? Task.WhenAll(loops) : ThenDisposeSharedStateAsync(Task.WhenAll(loops), _sharedState);
        }
        else
        {
            var reader = Task.Run(() => _buffer.RunAsync(HandOffFromBufferAsync, stop), CancellationToken.None);
            var behindBuffer = FinishBehindBufferAsync(reader, loops);
            _completion = _sharedState is null ? behindBuffer : ThenDisposeSharedStateAsync(behindBuffer, _sharedState);
        }
        if (Volatile.Read(ref _upstreamsOpen) == 0)
        {
            InputsFinished();
        }
    }

    internal Isolate Route(Event evt) => _isolates[_router.Route(evt)];

    /// <summary>
    /// The admission decision for an envelope offered to <paramref name="target"/>, made without waiting. The producer
    /// set the envelope's enqueue time (one clock read per hand-off); it is not read again here.
    /// </summary>
    internal Admission TryAdmit(Isolate target, in Envelope envelope)
    {
        if (_failed)
        {
            DeadLetter(StageFailedReason, envelope);
            return Admission.DeadLettered;
        }
        var admission = _buffer is null
            ? target.Mailbox.TryWrite(envelope) ? Admission.Admitted : Admission.Full
            : AppendToBuffer(_buffer, envelope);
        // Only after a refusal: the hot path reads no extra field.
        return admission == Admission.Full && _retired && target.Mailbox.IsClosedForWriting ? HandOnFromRetired(envelope) : admission;
    }

    /// <summary>
    /// A sender that read the consumer list before a reload swapped it offers to this retired pool after its mailboxes
    /// closed: the successor takes the envelope (waiting for room on its own, as a fan-out copy does), or, for a removed
    /// stage, it is dead-lettered with a reason rather than dropped.
    /// </summary>
    private Admission HandOnFromRetired(in Envelope envelope)
    {
        if (_successor is { } successor)
        {
            var pending = successor.AdmitAsync(successor.Route(envelope.Event), envelope, _hardStop);
            if (!pending.IsCompleted)
            {
                _ = pending.AsTask();
            }
            return Admission.Admitted;
        }
        DeadLetter(RemovedByReloadReason, envelope);
        return Admission.DeadLettered;
    }

    /// <summary>True when <see cref="TryAdmit"/> to <paramref name="target"/> would not have to wait now.</summary>
    internal bool HasRoom(Isolate target)
    {
        if (_buffer is not null)
        {
            return _failed || _buffer.WhenFull == WhenFull.DropNewest || _buffer.HasRoom;
        }
        var mailbox = target.Mailbox;
        return _failed || mailbox.WhenFull == WhenFull.DropNewest || mailbox.Count < mailbox.Capacity;
    }

    /// <summary>
    /// Completes when <paramref name="target"/> may have room (true; <see cref="TryAdmit"/> can still find it taken by
    /// another producer), or when its mailbox was closed by the hard stop (false).
    /// </summary>
    internal ValueTask<bool> WaitForRoomAsync(Isolate target, CancellationToken cancellationToken)
        => HasRoom(target) ? new(true)
            : _buffer is not null ? _buffer.WaitForRoomAsync(cancellationToken)
            : target.Mailbox.WaitToWriteAsync(cancellationToken);

    /// <summary>
    /// Hands over once the producer has decided to: waits for room as long as it takes. Only the hard stop ends the
    /// wait; the envelope is then counted undrained here and dead-lettered. Ownership of the event moves here.
    /// </summary>
    internal ValueTask AdmitAsync(Isolate target, in Envelope envelope, CancellationToken hardStop)
        => TryAdmit(target, envelope) == Admission.Full ? WaitThenAdmitAsync(target, envelope, hardStop) : default;

    internal void DeadLetter(string reason, in Envelope envelope)
    {
        // The current span, if any, is this event's hop span or the delivery span of its batch.
        PipelineTracing.RecordDeadLetter(Activity.Current, reason, envelope.Attempt);
        DeadLetters.Write(Counters.Metrics, reason, envelope.Attempt, envelope);
        // After the record is written: a source told "dead-lettered" can rely on finding it there.
        envelope.Settle(EventOutcome.DeadLettered, reason);
        envelope.Event.Release();
    }

    /// <summary>Counts an envelope that could not be processed before the hard stop, and dead-letters it.</summary>
    internal void AbandonUndrained(in Envelope envelope)
    {
        if (_retired && !_hardStop.IsCancellationRequested)
        {
            // A wait for room ended because a reload closed the mailboxes, not because of the hard stop.
            HandOnFromRetired(envelope);
            return;
        }
        if (envelope.Ack is { RetainsUndrained: true } keeper)
        {
            // Read from a disk buffer that still holds the record: it is delivered after the restart, not dead-lettered.
            keeper.Retain(envelope.Ticket);
            envelope.Event.Release();
            return;
        }
        Interlocked.Increment(ref _undrained);
        DeadLetter(UndrainedReason, envelope);
    }

    internal bool TryTakeRestart(out int restartsInWindow) => _restarts.TryTake(out restartsInWindow);

    /// <summary>Marks the stage failed, once: readiness goes false and everything that reaches it is dead-lettered.</summary>
    internal void MarkFailed(string reason, Exception? cause)
    {
        if (Interlocked.CompareExchange(ref _failureReason, reason, null) is not null)
        {
            return;
        }
        _failed = true;
        Logger.Error(
            cause,
            "Stage {ComponentId} failed: {Reason}. It is no longer ready; every event that reaches it is dead-lettered with reason {DeadLetterReason}",
            Id, reason, StageFailedReason);
    }

    /// <summary>After the hard stop: dead-letters what the stopped isolates still hold.</summary>
    internal void AbandonLeftovers()
    {
        foreach (var isolate in _isolates)
        {
            isolate.AbandonLeftovers();
        }
    }

    /// <summary>
    /// Behind a disk buffer: the record is written (the buffer settles the envelope's own acknowledgement as buffered
    /// once it is synced) and the event is done with; the buffer's reader hands it to an isolate later.
    /// </summary>
    private Admission AppendToBuffer(DiskBuffer buffer, in Envelope envelope)
    {
        switch (buffer.TryAppend(envelope))
        {
            case AppendResult.Appended:
                envelope.Event.Release();
                return Admission.Admitted;
            case AppendResult.TooLarge:
                DeadLetter(LargerThanBufferReason, envelope);
                return Admission.DeadLettered;
            default:
                if (buffer.WhenFull != WhenFull.DropNewest)
                {
                    return Admission.Full;
                }
                _bufferFullDrops.Inc();
                PipelineTracing.RecordDrop(Activity.Current, BufferFullReason);
                envelope.Settle(EventOutcome.Dropped);
                envelope.Event.Release();
                return Admission.Admitted;
        }
    }

    /// <summary>The buffer's reader hands a record to an isolate's mailbox, waiting for room; false once the mailboxes are closed.</summary>
    private async ValueTask<bool> HandOffFromBufferAsync(Envelope envelope, CancellationToken stop)
    {
        var target = Route(envelope.Event);
        while (!target.Mailbox.TryWrite(envelope))
        {
            if (!await target.Mailbox.WaitToWriteAsync(stop).ConfigureAwait(false))
            {
                return false;
            }
        }
        return true;
    }

    private async Task ThenDisposeSharedStateAsync(Task loops, ISharedStageState sharedState)
    {
        try
        {
            await loops.ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await sharedState.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Logger.Warning(ex, "{ComponentId}: stopping the state its isolates share failed", Id);
            }
        }
    }

    /// <summary>The reader ends first (and completes the mailboxes), then the isolates drain, then the buffer closes.</summary>
    private async Task FinishBehindBufferAsync(Task reader, Task[] loops)
    {
        try
        {
            await reader.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Logger.Error(ex, "{ComponentId}: the reader of its disk buffer failed; what it holds is delivered after the next start", Id);
        }
        CompleteMailboxes();
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        finally
        {
            await _buffer!.CloseAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask WaitThenAdmitAsync(Isolate target, Envelope envelope, CancellationToken hardStop)
    {
        try
        {
            while (await WaitForRoomAsync(target, hardStop).ConfigureAwait(false))
            {
                if (TryAdmit(target, envelope) != Admission.Full)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
        {
        }
        AbandonUndrained(envelope);
    }
}
