using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
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

    /// <summary>Tracing for pools built without a pipeline's: never samples, since nothing at its ingest did.</summary>
    private static readonly PipelineTracing UntracedPipeline = new("pipeline", TraceSampler.Create("always_off", null));

    private readonly Isolate[] _isolates;
    private readonly IRouter _router;
    private readonly RestartBudget _restarts;
    private readonly ComponentOutput[] _outputs;
    private int _upstreamsOpen;
    private volatile bool _failed;
    private string? _failureReason;
    private long _undrained;
    private Task _completion = Task.CompletedTask;

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
        Func<IsolatePool, int, Isolate> createIsolate)
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
        Backoff = new RetryBackoff(settings.RetryBackoff);
        FailurePolicy = new FailurePolicy(id, settings.MaxAttempts, Backoff, time, Logger);
        _outputs = kind == ComponentKind.Sink ? [] : new ComponentOutput[namedOutputs.Count + 1];
        for (var i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] = new ComponentOutput(i == 0 ? null : namedOutputs[i - 1]);
        }
        var count = Math.Max(1, settings.Isolates);
        _isolates = new Isolate[count];
        for (var i = 0; i < count; i++)
        {
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

    public ComponentKind Kind { get; }

    public string Type { get; }

    public IsolatePoolSettings Settings { get; }

    public ComponentCounters Counters { get; }

    public int IsolateCount => _isolates.Length;

    /// <summary>Outputs of a processor: index 0 is the default, index i + 1 the named output i. Empty for sinks.</summary>
    public IReadOnlyList<ComponentOutput> Outputs => _outputs;

    public bool IsFailed => _failed;

    public string? FailureReason => _failureReason;

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
    public static IsolatePool ForProcessor(
        string id, string type, IsolatePoolSettings settings, IProcessorFactory factory, ComponentCounters counters, DeadLetterWriter deadLetters, ILogger logger,
        TimeProvider? time = null, PipelineTracing? tracing = null)
        => new(id, ComponentKind.Processor, type, settings, counters, deadLetters, logger, time ?? TimeProvider.System, factory.NamedOutputs,
            (tracing ?? UntracedPipeline).ForStage(id, type),
            (pool, index) => new ProcessorIsolate(pool, index, factory));

    /// <param name="tracing">The pipeline's tracing; null for none (no span is ever started then).</param>
    public static IsolatePool ForSink(
        string id, string type, IsolatePoolSettings settings, ISinkFactory factory, ComponentCounters counters, DeadLetterWriter deadLetters, ILogger logger,
        TimeProvider? time = null, PipelineTracing? tracing = null)
        => new(id, ComponentKind.Sink, type, settings, counters, deadLetters, logger, time ?? TimeProvider.System, [],
            (tracing ?? UntracedPipeline).ForSink(id, type, factory.DeliversOverNetwork),
            (pool, index) => new SinkIsolate(pool, index, factory));

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
    }

    /// <summary>Wiring: one more producer feeds this pool; its mailboxes complete when all producers finished.</summary>
    internal void AddUpstream() => _upstreamsOpen++;

    /// <summary>A producer finished for good (a source returned, an upstream pool drained).</summary>
    internal void UpstreamFinished()
    {
        if (Interlocked.Decrement(ref _upstreamsOpen) == 0)
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
        var loops = new Task[_isolates.Length];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = _isolates[i].Start(stop);
        }
        _completion = Task.WhenAll(loops);
        if (Volatile.Read(ref _upstreamsOpen) == 0)
        {
            CompleteMailboxes();
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
        return target.Mailbox.TryWrite(envelope) ? Admission.Admitted : Admission.Full;
    }

    /// <summary>True when <see cref="TryAdmit"/> to <paramref name="target"/> would not have to wait now.</summary>
    internal bool HasRoom(Isolate target)
    {
        var mailbox = target.Mailbox;
        return _failed || mailbox.WhenFull == WhenFull.DropNewest || mailbox.Count < mailbox.Capacity;
    }

    /// <summary>
    /// Completes when <paramref name="target"/> may have room (true; <see cref="TryAdmit"/> can still find it taken by
    /// another producer), or when its mailbox was closed by the hard stop (false).
    /// </summary>
    internal ValueTask<bool> WaitForRoomAsync(Isolate target, CancellationToken cancellationToken)
        => HasRoom(target) ? new(true) : target.Mailbox.WaitToWriteAsync(cancellationToken);

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
