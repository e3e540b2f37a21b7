using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.Config;

/// <summary>
/// Small fake components for the config tests, independent of the real ones. Each can fail its build step, and
/// every build is counted so "built exactly once" can be checked.
/// </summary>
public sealed class TestComponents
{
    private int _builds;

    public int Builds => _builds;

    public ComponentCatalog Catalog { get; }

    public TestComponents()
    {
        Catalog = new ComponentCatalog()
            .AddSource<GeneratorOptions>("gen", "Generates test events.", (o, c) => Count(new SourceFactory(o, c)))
            .AddSource<GeneratorOptions>("http", "Receives test events.", (o, c) => Count(new SourceFactory(o, c)))
            .AddSource<GeneratorOptions>("partitioned", "Events ordered by .partition, as a Kafka source's.", (o, c) => Count(new SourceFactory(o, c) { OrderKey = FieldPath.Parse(".partition") }))
            .AddProcessor<CheckOptions>("check", "A processor with one option of every supported type.", (o, c) =>
                o.Condition == "fail" ? throw new ComponentBuildException("condition", "the condition does not compile: unexpected 'fail'") : Count(new ProcessorFactory([], true)))
            .AddProcessor<RouteOptions>("route", "Named outputs, one per route.", (o, _) => Count(new ProcessorFactory(o.Routes.ToArray(), false)))
            .AddProcessor<NoOptions>("pass", "Passes events through.", (_, _) => Count(new ProcessorFactory([], true)))
            .AddSink<SinkOptions>("out", "Writes test events somewhere.", (o, _) => Count(new SinkFactory()));
    }

    private T Count<T>(T factory)
    {
        Interlocked.Increment(ref _builds);
        return factory;
    }

    public enum Speed
    {
        Fast,
        VerySlow,
    }

    public sealed class GeneratorOptions
    {
        [Option("Events per second.", Example = "100")]
        public int Rate { get; set; } = 10;

        [Option("A label for the events.")]
        public string Label { get; set; } = "";
    }

    public sealed class CheckOptions
    {
        [Option("The condition.", Required = true, Example = ".level == \"error\"")]
        public string Condition { get; set; } = "";

        [Option("An int.")]
        public int Threshold { get; set; } = 5;

        [Option("A long.")]
        public long Big { get; set; } = 1L << 40;

        [Option("A double.")]
        public double Ratio { get; set; } = 0.5;

        [Option("A bool.")]
        public bool Enabled { get; set; } = true;

        [Option("A duration.")]
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

        [Option("A byte size.")]
        public ByteSize MaxSize { get; set; } = new(1024);

        [Option("An enum.")]
        public Speed Speed { get; set; } = Speed.Fast;

        [Option("A field path.")]
        public FieldPath Field { get; set; } = FieldPath.Parse(".message");

        [Option("Field paths.")]
        public List<FieldPath> Fields { get; set; } = [];

        [Option("Strings.")]
        public List<string> Tags { get; set; } = [];

        [Option("A map.")]
        public Dictionary<string, string> Labels { get; set; } = [];

        [Option("A nullable int.")]
        public int? Limit { get; set; }

        [Option("A renamed option.", Name = "max-depth")]
        public int Depth { get; set; } = 3;
    }

    public sealed class RouteOptions
    {
        [Option("Route names.", Required = true)]
        public List<string> Routes { get; set; } = [];
    }

    public sealed class NoOptions;

    public sealed class SinkOptions
    {
        [Option("Where to write.")]
        public string Path { get; set; } = "out.log";
    }

    public sealed class SourceFactory(GeneratorOptions options, ComponentContext context) : ISourceFactory
    {
        public GeneratorOptions Options { get; } = options;

        public ComponentContext Context { get; } = context;

        public FieldPath? OrderKey { get; init; }

        public ISource Create() => throw new NotSupportedException("config tests never run components");
    }

    public sealed class ProcessorFactory(string[] namedOutputs, bool hasDefaultOutput) : IProcessorFactory
    {
        public IReadOnlyList<string> NamedOutputs { get; } = namedOutputs;

        public bool HasDefaultOutput { get; } = hasDefaultOutput;

        public IProcessor CreateForIsolate(int isolateIndex) => throw new NotSupportedException("config tests never run components");
    }

    public sealed class SinkFactory : ISinkFactory
    {
        public ISink CreateForIsolate(int isolateIndex) => throw new NotSupportedException("config tests never run components");
    }
}
