using System.Text.Json;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Serilog;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// Builds a topology from <see cref="ComponentConfig"/>s made in code (no YAML), with its own metrics registry,
/// captured log and dead-letter file in a fresh temporary directory.
/// </summary>
internal sealed class TestPipeline : IAsyncDisposable
{
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(15);

    private readonly List<ComponentConfig> _components = [];
    private readonly string _directory;
    private readonly bool _ownsDirectory;

    /// <param name="directory">The data directory to use (and leave behind), for a restart over another pipeline's files; null for a fresh one.</param>
    public TestPipeline(string? directory = null)
    {
        _ownsDirectory = directory is null;
        _directory = directory ?? Path.Combine(Path.GetTempPath(), "pipeline-runtime-tests", Guid.NewGuid().ToString("N"));
    }

    public string DataDirectory => _directory;
    private RunningTopology? _topology;

    public PipelineMetrics Metrics { get; } = PipelineMetrics.CreateIsolated();

    public CapturedLog Log { get; } = new();

    public string DeadLetterPath => Path.Combine(_directory, "dlq", "dead-letter.jsonl");

    public RunningTopology Topology => _topology ?? throw new InvalidOperationException("call StartAsync first");

    /// <summary>Settings for tests: quick retries, so failure tests take milliseconds.</summary>
    public static IsolatePoolSettings Settings(
        int isolates = 1,
        int mailbox = 16,
        int batchSize = 16,
        int maxAttempts = 3,
        int maxRestarts = 5,
        WhenFull whenFull = WhenFull.Block,
        RouterKind router = RouterKind.RoundRobin,
        string? key = null) => new()
        {
            Isolates = isolates,
            Mailbox = mailbox,
            BatchSize = batchSize,
            MaxAttempts = maxAttempts,
            MaxRestarts = maxRestarts,
            RestartWindow = TimeSpan.FromHours(1),
            RetryBackoff = TimeSpan.FromMilliseconds(1),
            WhenFull = whenFull,
            Router = router,
            Key = key is null ? null : Pipeline.Events.FieldPath.Parse(key),
        };

    public TestPipeline Source(string id, ISourceFactory factory, bool acknowledgements = false)
        => Add(id, ComponentKind.Source, "test_source", factory, [], new IsolatePoolSettings { RetryBackoff = TimeSpan.FromMilliseconds(1) }, acknowledgements);

    public TestPipeline Stage(string id, IProcessorFactory factory, string[] inputs, IsolatePoolSettings? settings = null)
        => Add(id, ComponentKind.Processor, "test_processor", factory, inputs, settings ?? Settings());

    public TestPipeline Sink(string id, ISinkFactory factory, string[] inputs, IsolatePoolSettings? settings = null)
        => Add(id, ComponentKind.Sink, "test_sink", factory, inputs, settings ?? Settings());

    public async Task<RunningTopology> StartAsync(TimeSpan? shutdownTimeout = null, MemoryLimiter? memoryLimiter = null)
    {
        var config = new PipelineConfig
        {
            File = "<test>",
            Components = _components,
            DataDirectory = _directory,
            DeadLetterPath = DeadLetterPath,
            ShutdownTimeout = shutdownTimeout ?? HangGuard,
        };
        var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(Log).CreateLogger();
        _topology = RunningTopology.Build(config, Metrics, logger, tracing: null, memoryLimiter);
        await _topology.StartAsync(TestContext.Current.CancellationToken);
        return _topology;
    }

    public ComponentMetrics MetricsOf(string id, string kind) => Metrics.ForComponent("pipeline", id, kind);

    /// <summary>Every dead-letter record written so far, parsed.</summary>
    public IReadOnlyList<JsonElement> DeadLetters() => ReadDeadLetters(DeadLetterPath);

    /// <summary>Every record of a dead-letter file written so far, parsed (none when there is no file yet).</summary>
    public static IReadOnlyList<JsonElement> ReadDeadLetters(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var records = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            records.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        return records;
    }

    public async ValueTask DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
        try
        {
            if (_ownsDirectory)
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private TestPipeline Add(string id, ComponentKind kind, string type, object factory, string[] inputs, IsolatePoolSettings settings, bool acknowledgements = false)
    {
        Assert.True(TestComponents.Catalog.TryGet(kind, type, out var descriptor));
        _components.Add(new ComponentConfig
        {
            Id = id,
            Kind = kind,
            Descriptor = descriptor,
            Options = descriptor.CreateDefaultOptions(),
            Factory = factory,
            Inputs = [.. inputs.Select(ToReference)],
            Stage = settings,
            Acknowledgements = acknowledgements,
            Mark = new SourceMark("<test>", _components.Count + 1, 1),
        });
        return this;
    }

    private static InputReference ToReference(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot < 0
            ? new InputReference(text, null, SourceMark.None)
            : new InputReference(text[..dot], text[(dot + 1)..], SourceMark.None);
    }
}
