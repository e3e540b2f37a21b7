using Pipeline.Events;

namespace Pipeline.Components;

/// <summary>
/// Delivers batches of events. Each sink isolate owns a private instance. Throw on failure: the runtime retries
/// the batch with backoff and dead-letters its events after the last attempt.
/// </summary>
public interface ISink : IAsyncDisposable
{
    ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken);

    /// <summary>Called on shutdown and whenever the mailbox runs empty.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
