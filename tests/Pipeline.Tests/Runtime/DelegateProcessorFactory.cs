using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.Runtime;

/// <summary>Makes <see cref="DelegateProcessor"/>s and counts how many instances were made.</summary>
internal sealed class DelegateProcessorFactory(Func<Event, IEventEmitter, int, CancellationToken, ValueTask> process, IReadOnlyList<string>? namedOutputs = null)
    : IProcessorFactory
{
    private int _created;

    public DelegateProcessorFactory(Func<Event, IEventEmitter, int, ValueTask> process, IReadOnlyList<string>? namedOutputs = null)
        : this((evt, output, isolate, _) => process(evt, output, isolate), namedOutputs)
    {
    }

    public static DelegateProcessorFactory PassThrough => new((evt, output, _) =>
    {
        output.Emit(evt);
        return ValueTask.CompletedTask;
    });

    public IReadOnlyList<string> NamedOutputs { get; } = namedOutputs ?? [];

    public bool HasDefaultOutput => NamedOutputs.Count == 0;

    public int Created => Volatile.Read(ref _created);

    public Func<int, Exception?>? FailCreation { get; init; }

    public IProcessor CreateForIsolate(int isolateIndex)
    {
        Interlocked.Increment(ref _created);
        if (FailCreation?.Invoke(isolateIndex) is { } failure)
        {
            throw failure;
        }
        return new DelegateProcessor(isolateIndex, process);
    }
}
