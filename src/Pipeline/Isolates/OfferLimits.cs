namespace Pipeline.Isolates;

/// <summary>
/// How long a producer is willing to wait for room downstream: until its own token is cancelled, the topology starts
/// stopping, or a deadline passes; <see cref="None"/> waits as long as it takes (a processor's outputs). The hard
/// stop always ends a wait. The linked token is made only when a wait actually happens, so a hand-off that finds room
/// costs no allocation.
/// </summary>
internal readonly record struct OfferLimits(CancellationToken Caller, CancellationToken Stopping, TimeSpan Deadline)
{
    /// <summary>No limit but the hard stop.</summary>
    public static OfferLimits None => new(default, default, Timeout.InfiniteTimeSpan);

    /// <summary>The token a wait observes: the hard stop and these limits. Null when the hard stop alone is the limit.</summary>
    public CancellationTokenSource? CreateWaitSource(CancellationToken hardStop)
    {
        if (!Caller.CanBeCanceled && !Stopping.CanBeCanceled && Deadline == Timeout.InfiniteTimeSpan)
        {
            return null;
        }
        var source = CancellationTokenSource.CreateLinkedTokenSource(Caller, Stopping, hardStop);
        if (Deadline != Timeout.InfiniteTimeSpan)
        {
            source.CancelAfter(Deadline);
        }
        return source;
    }

    /// <summary>Why a wait ended that the hard stop did not end: shutting down, or the deadline. A cancelled caller gets its exception back.</summary>
    public HandOffResult WhyCancelled()
    {
        if (Stopping.IsCancellationRequested)
        {
            return HandOffResult.ShuttingDown;
        }
        Caller.ThrowIfCancellationRequested();
        return HandOffResult.Backpressure;
    }
}
