using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Host.ConfigTests;

/// <summary>Records what a processor emitted for one event, by output (-1 for the default one), in order.</summary>
internal sealed class CollectingEmitter : IEventEmitter
{
    public List<(int Output, Event Event)> Emitted { get; } = [];

    public void Emit(Event evt) => Emitted.Add((-1, evt));

    public void Emit(int namedOutput, Event evt) => Emitted.Add((namedOutput, evt));
}
