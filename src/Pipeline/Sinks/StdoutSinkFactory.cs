using Pipeline.Components;

namespace Pipeline.Sinks;

public sealed class StdoutSinkFactory : ISinkFactory
{
    // One process has one standard output, whichever stdout sink or isolate writes to it.
    private static readonly Lazy<Stream> StandardOutput = new(Console.OpenStandardOutput);
    private static readonly SemaphoreSlim StandardOutputGate = new(1, 1);

    public StdoutSinkFactory(StdoutSinkOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
    }

    public ISink CreateForIsolate(int isolateIndex) => new StdoutSink(StandardOutput.Value, StandardOutputGate);
}
