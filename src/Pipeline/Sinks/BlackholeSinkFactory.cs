using Pipeline.Components;

namespace Pipeline.Sinks;

public sealed class BlackholeSinkFactory : ISinkFactory
{
    // Stateless, so every isolate can share one instance.
    private static readonly BlackholeSink Shared = new();

    public BlackholeSinkFactory(BlackholeSinkOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
    }

    public ISink CreateForIsolate(int isolateIndex) => Shared;
}
