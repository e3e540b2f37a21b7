namespace Pipeline.Components;

/// <summary>The usual result of a processor's build step: a function that makes one instance per isolate.</summary>
public sealed class ProcessorFactory(Func<int, IProcessor> createForIsolate) : IProcessorFactory
{
    public IReadOnlyList<string> NamedOutputs { get; init; } = [];

    public bool HasDefaultOutput { get; init; } = true;

    public IProcessor CreateForIsolate(int isolateIndex) => createForIsolate(isolateIndex);
}
