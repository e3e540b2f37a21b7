namespace Pipeline.Components;

/// <summary>
/// Whoever wants to learn the terminal state of the events it sent: a source's <see cref="SourceBatch"/>, or a disk
/// buffer waiting to delete what its sink confirmed. An envelope carries its tracker (null when nobody asked, which
/// is what makes acknowledgements free when they are off) and a ticket that means something to that tracker only.
/// </summary>
/// <remarks>
/// The runtime keeps one rule: every copy of an event that exists is settled exactly once. A fan-out to n consumers
/// or a processor that turns one event into n first <see cref="AddCopies"/> n − 1; a processor that emits nothing
/// settles its input <see cref="EventOutcome.Dropped"/>.
/// </remarks>
public abstract class AcknowledgementTracker
{
    /// <summary>
    /// True when an event still in a mailbox at the hard stop is kept where it came from (a disk buffer keeps the
    /// record, to deliver it after the restart) rather than dead-lettered as undrained.
    /// </summary>
    internal virtual bool RetainsUndrained => false;

    /// <summary><paramref name="copies"/> more copies of the event behind <paramref name="ticket"/> now exist.</summary>
    internal abstract void AddCopies(long ticket, int copies);

    /// <summary>One copy of the event behind <paramref name="ticket"/> reached its terminal state.</summary>
    /// <param name="reason">The dead-letter reason; null for the other outcomes.</param>
    internal abstract void Settle(long ticket, EventOutcome outcome, string? reason);

    /// <summary>The event behind <paramref name="ticket"/> was abandoned at the hard stop and is kept (see <see cref="RetainsUndrained"/>).</summary>
    internal virtual void Retain(long ticket)
    {
    }
}
