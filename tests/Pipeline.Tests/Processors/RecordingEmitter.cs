using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.Processors;

/// <summary>Records what a processor emits, in order, with the named output index (-1 for the default output).</summary>
internal sealed class RecordingEmitter : IEventEmitter
{
    public List<(int Output, Event Event)> Emitted { get; } = [];

    public IEnumerable<Event> Default => Emitted.Where(e => e.Output == -1).Select(e => e.Event);

    public void Emit(Event evt) => Emitted.Add((-1, evt));

    public void Emit(int namedOutput, Event evt) => Emitted.Add((namedOutput, evt));

    public void Clear() => Emitted.Clear();
}
