using Pipeline.Events;

namespace Pipeline.Components;

/// <summary>
/// A processor whose work is cheaper per batch than per event: one call into a script runtime costs 10–15 µs of host
/// overhead however little the script does, so a script processor takes the isolate's whole batch in one call. The
/// isolate runtime uses this instead of <see cref="IProcessor.ProcessAsync"/> when the processor implements it.
/// </summary>
/// <remarks>
/// A failure of one event is reported through <see cref="IBatchEmitter.Fail"/> and costs only that event; a call that
/// throws failed as a whole (a runaway script interrupted, a heap blown), and the runtime retries the batch in smaller
/// pieces, down to single events, so only an event that fails on its own is retried and dead-lettered. Throw
/// <see cref="InstanceCorruptedException"/> when the instance must be replaced before the next call.
/// </remarks>
public interface IBatchProcessor
{
    /// <summary>
    /// Processes every event of <paramref name="events"/> without changing them (a retry sees them as they came), and
    /// reports what each one produced, by its index in <paramref name="events"/>.
    /// </summary>
    ValueTask ProcessBatchAsync(IReadOnlyList<Event> events, IBatchEmitter output, CancellationToken cancellationToken);
}
