using System.Threading.Channels;
using Pipeline.Isolates;
using Pipeline.Telemetry;

namespace Pipeline.Topology;

/// <summary>
/// One tap attached to a component output from its creation until it is disposed: then the output is back to its
/// untapped state (no copy, no check beyond a null field) if no other tap watches it.
/// </summary>
public sealed class TapSession : IDisposable
{
    private readonly ComponentOutput _output;
    private readonly EventTap _tap;
    private readonly TapInstruments _instruments;
    private int _disposed;

    internal TapSession(ComponentOutput output, EventTap tap, TapInstruments instruments)
    {
        _output = output;
        _tap = tap;
        _instruments = instruments;
        instruments.Attached();
        output.Attach(tap);
    }

    /// <summary>One JSON line per copied event, newline included (see <see cref="EventTap"/>).</summary>
    public ChannelReader<byte[]> Lines => _tap.Lines;

    /// <summary>Copies dropped because the client read slower than the component sent.</summary>
    public long Dropped => _tap.Dropped;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _output.Detach(_tap);
            _instruments.Detached();
        }
    }
}
