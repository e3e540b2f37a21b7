using System.Threading.Channels;

namespace Pipeline.Isolates;

/// <summary>
/// An isolate's inbox: a bounded, single-reader <see cref="Channel{T}"/> of <see cref="Envelope"/>s.
/// Producers call <see cref="TryWrite"/> first and await <see cref="WriteAsync"/> only when it is full, so the
/// common hand-off neither allocates nor waits.
/// </summary>
/// <remarks>
/// <see cref="WhenFull.Block"/> makes a full mailbox wait (backpressure travels upstream, nothing is lost).
/// <see cref="WhenFull.DropNewest"/> uses the channel's own <see cref="BoundedChannelFullMode.DropWrite"/>: a write
/// into a full mailbox succeeds at once and hands the offered envelope to <c>dropped</c>, which counts and releases it.
/// </remarks>
public sealed class Mailbox
{
    private readonly Channel<Envelope> _channel;
    private bool _closed;

    public Mailbox(int capacity, WhenFull whenFull = WhenFull.Block, Action<Envelope>? dropped = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        WhenFull = whenFull;
        var options = new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            // Continuations run on the pool, never inline in a producer's TryWrite: a source must not end up running
            // a downstream isolate's loop on its own thread.
            AllowSynchronousContinuations = false,
            FullMode = whenFull == WhenFull.DropNewest ? BoundedChannelFullMode.DropWrite : BoundedChannelFullMode.Wait,
        };
        _channel = dropped is null
            ? Channel.CreateBounded<Envelope>(options)
            : Channel.CreateBounded(options, dropped);
    }

    public int Capacity { get; }

    public WhenFull WhenFull { get; }

    /// <summary>Envelopes waiting; read by least_loaded routing and the mailbox depth gauge.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>True once <see cref="Complete"/> was called: nothing more can be written.</summary>
    public bool IsClosedForWriting => Volatile.Read(ref _closed);

    /// <summary>True once <see cref="Complete"/> was called and every envelope was read.</summary>
    public bool IsDrained => _channel.Reader.Completion.IsCompleted;

    /// <summary>False when the mailbox is full (only with <see cref="WhenFull.Block"/>) or completed.</summary>
    public bool TryWrite(in Envelope envelope) => _channel.Writer.TryWrite(envelope);

    /// <summary>Waits for room; throws <see cref="ChannelClosedException"/> once the mailbox is completed.</summary>
    public ValueTask WriteAsync(in Envelope envelope, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(envelope, cancellationToken);

    /// <summary>Completes when there is room to write (true) or the mailbox was completed (false).</summary>
    public ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken) => _channel.Writer.WaitToWriteAsync(cancellationToken);

    public bool TryRead(out Envelope envelope) => _channel.Reader.TryRead(out envelope);

    /// <summary>Completes when an envelope can be read (true) or the mailbox is completed and empty (false).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>No more writes: the reader drains what is left and then sees the end.</summary>
    public void Complete()
    {
        Volatile.Write(ref _closed, true);
        _channel.Writer.TryComplete();
    }
}
