using Pipeline.Components;

namespace Pipeline.Isolates;

/// <summary>
/// How long a source is willing to wait for room downstream: until its own token is cancelled, the topology
/// starts stopping, or an optional deadline passes. The linked token is only made when a wait actually happens,
/// so a hand-off that finds room costs no allocation.
/// </summary>
internal readonly record struct OfferLimits(CancellationToken Caller, CancellationToken Stopping, TimeSpan Deadline)
{
    public CancellationTokenSource CreateWaitSource()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(Caller, Stopping);
        if (Deadline != Timeout.InfiniteTimeSpan)
        {
            source.CancelAfter(Deadline);
        }
        return source;
    }

    /// <summary>Why the wait ended: shutting down, or the deadline. A cancelled caller gets its exception back.</summary>
    public SendResult WhyCancelled()
    {
        if (Stopping.IsCancellationRequested)
        {
            return SendResult.ShuttingDown;
        }
        Caller.ThrowIfCancellationRequested();
        return SendResult.Backpressure;
    }
}
