using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sinks;

/// <summary><c>blackhole</c> has no options.</summary>
[Component("blackhole", "Discards events; only the counters see them.")]
public sealed class BlackholeSinkConfig : ISinkConfig
{
    public ISinkFactory Build(ComponentContext context) => new SinkFactory(_ => BlackholeSink.Shared);
}

/// <summary>Accepts and discards every batch. The runtime counts what it sent here, which is the point: a sink that
/// costs nothing, for benchmarks and for the side of a fan-out nobody reads.</summary>
public sealed class BlackholeSink : ISink
{
    /// <summary>Stateless, so every isolate shares this one.</summary>
    internal static readonly BlackholeSink Shared = new();

    public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
