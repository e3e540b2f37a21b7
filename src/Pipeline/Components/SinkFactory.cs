namespace Pipeline.Components;

/// <summary>The usual result of a sink's build step: a function that makes one instance per isolate.</summary>
public sealed class SinkFactory(Func<int, ISink> createForIsolate) : ISinkFactory
{
    public bool DeliversOverNetwork { get; init; }

    public ISink CreateForIsolate(int isolateIndex) => createForIsolate(isolateIndex);
}
