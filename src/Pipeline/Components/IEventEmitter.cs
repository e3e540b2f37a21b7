using Pipeline.Events;

namespace Pipeline.Components;

/// <summary>
/// Where a processor puts its output. The isolate supplies one per isolate and reuses it, so emitting allocates nothing.
/// Not calling Emit for an event drops it (a filter or sample did its job); the runtime counts that as discarded.
/// </summary>
public interface IEventEmitter
{
    /// <summary>Sends the event to the default output.</summary>
    void Emit(Event evt);

    /// <summary>Sends the event to a named output, by its index in <see cref="IProcessorFactory.NamedOutputs"/>.</summary>
    void Emit(int namedOutput, Event evt);
}
