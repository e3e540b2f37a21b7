using System.Runtime.CompilerServices;

namespace Pipeline.Isolates;

// The output's tap point (pipeline tap, docs/inspect.md): the clients watching the events it sends.
public sealed partial class ComponentOutput
{
    private readonly Lock _tapsLock = new();

    // Null while nobody taps: then SendAsync pays one read of this field per event, no lock, no interlocked. Attaching
    // and detaching publish a new array (copy on write), so a send reads a consistent set without locking.
    private EventTap[]? _taps;

    /// <summary>Taps attached now (0 when the output is back to its untapped state).</summary>
    public int TapCount => Volatile.Read(ref _taps)?.Length ?? 0;

    /// <summary>From the next event on, <paramref name="tap"/> gets a copy of what this output sends.</summary>
    internal void Attach(EventTap tap)
    {
        lock (_tapsLock)
        {
            Volatile.Write(ref _taps, [.. _taps ?? [], tap]);
        }
    }

    /// <summary>The tap gets nothing more; the last one detached leaves the field null again.</summary>
    internal void Detach(EventTap tap)
    {
        lock (_tapsLock)
        {
            var rest = _taps is { } taps ? Array.FindAll(taps, t => t != tap) : [];
            Volatile.Write(ref _taps, rest.Length == 0 ? null : rest);
        }
        tap.Complete();
    }

    // Out of line, so the untapped send path stays as small as it was.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OfferToTaps(EventTap[] taps, in Envelope envelope)
    {
        foreach (var tap in taps)
        {
            tap.Offer(envelope);
        }
    }
}
