using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// A processor instance lent to one run's isolate: the pool disposes what it was given when its isolates finish,
/// and this leaves the instance itself alive for the next run (see <see cref="ReadyInstances"/>).
/// </summary>
internal sealed class LentProcessor(IProcessor instance) : IProcessor
{
    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken) =>
        instance.ProcessAsync(evt, output, cancellationToken);
}
