using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Isolates;

/// <summary>
/// The <see cref="IEventEmitter"/> an isolate hands its processor, reused for every event. It only buffers: the
/// isolate hands the buffered events downstream after <see cref="IProcessor.ProcessAsync"/> returns, so an attempt
/// that throws half-way emits nothing.
/// </summary>
internal sealed class IsolateEmitter : IEventEmitter
{
    private readonly List<Event>[] _outputs;
    private readonly string _componentId;

    /// <param name="namedOutputs">Output slot 0 is the default output; slot i + 1 is named output i.</param>
    public IsolateEmitter(string componentId, int namedOutputs)
    {
        _componentId = componentId;
        _outputs = new List<Event>[namedOutputs + 1];
        for (var i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] = new List<Event>(4);
        }
    }

    /// <summary>Events emitted since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    public int SlotCount => _outputs.Length;

    public void Emit(Event evt) => Add(0, evt);

    public void Emit(int namedOutput, Event evt)
    {
        if ((uint)namedOutput >= (uint)(_outputs.Length - 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(namedOutput),
                $"'{_componentId}' emitted to named output {namedOutput}, but it declares {_outputs.Length - 1} named output(s)");
        }
        Add(namedOutput + 1, evt);
    }

    /// <summary>The events buffered for one output slot. The isolate nulls entries as it hands them over.</summary>
    public List<Event> Slot(int slot) => _outputs[slot];

    public bool Contains(Event evt)
    {
        foreach (var list in _outputs)
        {
            foreach (var e in list)
            {
                if (ReferenceEquals(e, evt))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Forgets every buffered event; the caller has handed them over or released them.</summary>
    public void Clear()
    {
        foreach (var list in _outputs)
        {
            list.Clear();
        }
        Count = 0;
    }

    /// <summary>Releases every buffered event except <paramref name="keep"/> (the input, still owned by the caller).</summary>
    public void ReleaseAll(Event? keep)
    {
        foreach (var list in _outputs)
        {
            foreach (var e in list)
            {
                if (e is not null && !ReferenceEquals(e, keep))
                {
                    e.Release();
                }
            }
        }
        Clear();
    }

    private void Add(int slot, Event evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        // One instance must never reach two consumers (each may change it), so an event emitted twice is copied.
        if (Count > 0 && Contains(evt))
        {
            evt = evt.Clone();
        }
        _outputs[slot].Add(evt);
        Count++;
    }
}
