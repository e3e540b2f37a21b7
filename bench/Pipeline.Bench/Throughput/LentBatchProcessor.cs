using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary><see cref="LentProcessor"/> for an instance that takes whole batches, so the isolate still calls it once per batch.</summary>
internal sealed class LentBatchProcessor(IProcessor instance, IBatchProcessor batches) : IProcessor, IBatchProcessor
{
    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken) =>
        instance.ProcessAsync(evt, output, cancellationToken);

    public ValueTask ProcessBatchAsync(IReadOnlyList<Event> events, IBatchEmitter output, CancellationToken cancellationToken) =>
        batches.ProcessBatchAsync(events, output, cancellationToken);
}
