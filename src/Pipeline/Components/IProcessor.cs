using Pipeline.Events;

namespace Pipeline.Components;

/// <summary>
/// A processing step. Each isolate owns a private instance, so implementations may keep unsynchronised state.
/// Implementers just do their job and throw on failure: the isolate runtime owns retries, dead-lettering,
/// restarts and the metrics and logs about them.
/// </summary>
public interface IProcessor
{
    /// <summary>
    /// Processes one event in place and emits zero or more events. Complete synchronously where possible:
    /// a synchronously completed ValueTask costs nothing.
    /// </summary>
    ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken);
}
