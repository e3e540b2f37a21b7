using System.Collections.Concurrent;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// A sink that records the JSON of every event it delivers (events are released after delivery, so it keeps text),
/// with an optional hook that runs before recording and may throw to simulate a failing destination.
/// </summary>
internal sealed class RecordingSink : ISinkFactory
{
    private readonly ConcurrentQueue<string> _delivered = new();
    private int _writes;
    private int _flushes;

    public Func<IReadOnlyList<Event>, int, ValueTask>? BeforeWrite { get; init; }

    /// <summary>A destination that is down and never answers: every write waits until the runtime cancels it (the hard stop).</summary>
    public bool Down { get; init; }

    public IReadOnlyList<string> Delivered => [.. _delivered];

    public int Writes => Volatile.Read(ref _writes);

    public int Flushes => Volatile.Read(ref _flushes);

    public ISink CreateForIsolate(int isolateIndex) => new Instance(this, isolateIndex);

    private sealed class Instance(RecordingSink owner, int isolate) : ISink
    {
        public async ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner._writes);
            if (owner.Down)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            if (owner.BeforeWrite is { } hook)
            {
                await hook(batch, isolate);
            }
            foreach (var evt in batch)
            {
                owner._delivered.Enqueue(evt.ToString());
            }
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner._flushes);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
