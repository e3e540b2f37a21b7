using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sinks;

/// <summary>Accepts and discards every batch. The runtime counts what it sent here, which is the point: a sink that
/// costs nothing, for benchmarks and for the side of a fan-out nobody reads.</summary>
public sealed class BlackholeSink : ISink
{
    public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
