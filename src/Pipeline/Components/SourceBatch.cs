namespace Pipeline.Components;

/// <summary>
/// Events a source sent together and wants to hear back about (<c>acknowledgements: true</c>): an HTTP request, a
/// run of lines of a file, a poll of a Kafka partition. <see cref="Completion"/> completes once every event sent with
/// the batch reached a terminal state at every sink it went to, and the source <see cref="Seal"/>ed it.
/// </summary>
/// <remarks>
/// Thread-safe: isolates settle events concurrently. One counter holds the copies still in flight, plus one for the
/// seal, so the batch cannot complete while the source is still sending. Dead-lettered positions are kept (bounded);
/// the rest is only counted, so a large batch costs a few interlocked operations per event and nothing more.
/// </remarks>
public sealed class SourceBatch : AcknowledgementTracker
{
    /// <summary>The most dead-lettered events a batch lists with their reasons; the count covers all of them.</summary>
    public const int MaxListedDeadLetters = 100;

    private readonly TaskCompletionSource<SourceBatchResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _deadLettersGate = new();
    private List<DeadLetteredEvent>? _deadLetters;
    private long _outstanding = 1;
    private long _delivered;
    private long _buffered;
    private long _dropped;
    private long _deadLettered;
    private int _sealed;

    /// <summary>Completes when every copy of every event sent with this batch is terminal and the batch is sealed.</summary>
    public Task<SourceBatchResult> Completion => _completion.Task;

    /// <summary>Copies in flight (for tests and diagnostics).</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding) - (Volatile.Read(ref _sealed) == 0 ? 1 : 0);

    /// <summary>The source sent everything it will send with this batch. Calling it again does nothing.</summary>
    public void Seal()
    {
        if (Interlocked.Exchange(ref _sealed, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>The send path: an event is about to be handed over with this batch.</summary>
    internal void Sending() => Interlocked.Increment(ref _outstanding);

    /// <summary>The send path: the hand-off did not happen (backpressure, shutdown); the source still owns the event.</summary>
    internal void NotSent() => Release();

    internal override void AddCopies(long ticket, int copies) => Interlocked.Add(ref _outstanding, copies);

    internal override void Settle(long ticket, EventOutcome outcome, string? reason)
    {
        switch (outcome)
        {
            case EventOutcome.Delivered:
                Interlocked.Increment(ref _delivered);
                break;
            case EventOutcome.Buffered:
                Interlocked.Increment(ref _buffered);
                break;
            case EventOutcome.Dropped:
                Interlocked.Increment(ref _dropped);
                break;
            default:
                Interlocked.Increment(ref _deadLettered);
                lock (_deadLettersGate)
                {
                    _deadLetters ??= [];
                    if (_deadLetters.Count < MaxListedDeadLetters)
                    {
                        _deadLetters.Add(new DeadLetteredEvent(ticket, reason ?? "dead-lettered"));
                    }
                }
                break;
        }
        Release();
    }

    private void Release()
    {
        var left = Interlocked.Decrement(ref _outstanding);
        if (left > 0)
        {
            return;
        }
        System.Diagnostics.Debug.Assert(left == 0, "a copy was settled twice");
        IReadOnlyList<DeadLetteredEvent> deadLetters;
        lock (_deadLettersGate)
        {
            deadLetters = _deadLetters is null ? [] : [.. _deadLetters];
        }
        _completion.TrySetResult(new SourceBatchResult(
            Interlocked.Read(ref _delivered), Interlocked.Read(ref _buffered), Interlocked.Read(ref _dropped), Interlocked.Read(ref _deadLettered), deadLetters));
    }
}
