using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>What a processor emitted for one event called outside an isolate.</summary>
internal sealed class EmittedEvents : IEventEmitter
{
    public List<Event> Events { get; } = [];

    public void Emit(Event evt) => Events.Add(evt);

    public void Emit(int namedOutput, Event evt) => Events.Add(evt);
}
