using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.Runtime;

/// <summary>A processor whose behaviour is a test's lambda; it knows the index of the isolate that owns it.</summary>
internal sealed class DelegateProcessor(int isolate, Func<Event, IEventEmitter, int, CancellationToken, ValueTask> process) : IProcessor
{
    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken) => process(evt, output, isolate, cancellationToken);
}
