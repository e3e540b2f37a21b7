using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;
using Pipeline.Topology;
using Serilog;

namespace Pipeline.Tests.Observability;

/// <summary>
/// A topology built in code with tracing on: a tracer provider whose exporter is in memory (through the real batch
/// export queue of <see cref="TracingSetup"/>), a logger with the <see cref="ActivityEnricher"/> writing into a
/// captured log, its own metrics registry, and a unique pipeline name, so the spans of this test can be told from
/// those of tests running beside it (every tracer provider in the process listens to the pipeline's source).
/// </summary>
internal sealed class ObservedPipeline : IAsyncDisposable
{
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly List<ComponentConfig> _components = [];
    private readonly ExportedSpans _exported = new();
    private readonly string _directory;
    private readonly bool _ownsDirectory;
    private readonly TracingSetup _tracing;
    private RunningTopology? _topology;

    /// <param name="exporter">Replaces the in-memory exporter (the spans are then not collected).</param>
    /// <param name="maxQueueSize">
    /// Large by default: every tracer provider in the process queues the spans of every pipeline, those of tests
    /// running beside this one included, and a test that counts spans must not lose any to a full queue.
    /// </param>
    /// <param name="directory">The data directory of an earlier pipeline to start over (a restart), left in place; null for a fresh one.</param>
    public ObservedPipeline(
        string sampler = "parentbased_always_on", double? ratio = null, BaseExporter<Activity>? exporter = null, int maxQueueSize = 65536, string? directory = null)
    {
        _ownsDirectory = directory is null;
        _directory = directory ?? Path.Combine(Path.GetTempPath(), "pipeline-observability-tests", Guid.NewGuid().ToString("N"));
        Name = "obs-" + Guid.NewGuid().ToString("N")[..12];
        var options = new TracingOptions
        {
            Sampler = sampler,
            Ratio = ratio,
            ScheduledDelay = TimeSpan.FromMilliseconds(50),
            MaxQueueSize = maxQueueSize,
            ExportTimeout = TimeSpan.FromSeconds(5),
        };
        _tracing = TracingSetup.Start(TracingConfiguration.Resolve(options, _ => null, []) ?? throw new ArgumentException("the test's trace settings do not resolve"), Metrics, exporter ?? new InMemoryExporter<Activity>(_exported));
        Logger = new LoggerConfiguration().MinimumLevel.Verbose().Enrich.With<ActivityEnricher>().WriteTo.Sink(Log).CreateLogger();
    }

    public string Name { get; }

    public string DataDirectory => _directory;

    public PipelineMetrics Metrics { get; } = PipelineMetrics.CreateIsolated();

    public CapturedLog Log { get; } = new();

    /// <summary>The logger the topology logs with; test components log through it too, as component code would.</summary>
    public ILogger Logger { get; }

    public string DeadLetterPath => Path.Combine(_directory, "dead-letter.jsonl");

    public RunningTopology Topology => _topology ?? throw new InvalidOperationException("call StartAsync first");

    public ObservedPipeline Source(string id, ISourceFactory factory)
        => Add(id, ComponentKind.Source, "test_source", factory, [], new IsolatePoolSettings { RetryBackoff = TimeSpan.FromMilliseconds(1) });

    public ObservedPipeline Stage(string id, IProcessorFactory factory, string[] inputs, IsolatePoolSettings? settings = null)
        => Add(id, ComponentKind.Processor, "test_processor", factory, inputs, settings ?? TestPipeline.Settings(isolates: 2));

    public ObservedPipeline Sink(string id, ISinkFactory factory, string[] inputs, IsolatePoolSettings? settings = null)
        => Add(id, ComponentKind.Sink, "test_sink", factory, inputs, settings ?? TestPipeline.Settings());

    public async Task<RunningTopology> StartAsync()
    {
        var config = new PipelineConfig
        {
            File = "<test>",
            Name = Name,
            Components = _components,
            DataDirectory = _directory,
            DeadLetterPath = DeadLetterPath,
            ShutdownTimeout = HangGuard,
        };
        _topology = RunningTopology.Build(config, Metrics, Logger, _tracing.ForPipeline(Name));
        await _topology.StartAsync(TestContext.Current.CancellationToken);
        return _topology;
    }

    /// <summary>Drains the topology and exports every queued span; returns this pipeline's spans.</summary>
    /// <param name="requireDrained">False when the test stopped it early on purpose (a sink that never delivers).</param>
    public async Task<IReadOnlyList<Activity>> StopAndCollectSpansAsync(bool requireDrained = true)
    {
        var report = await Topology.StopAsync(HangGuard);
        Assert.True(report.Drained || !requireDrained, "the topology should drain");
        Assert.True(_tracing.Flush(HangGuard), "the span export queue should flush");
        return [.. _exported.Where(a => Equals(a.GetTagItem(TelemetryNames.PipelineNameAttribute), Name))];
    }

    /// <summary>The current value of a sample in this pipeline's /metrics exposition (collected now).</summary>
    public async Task<double> MetricAsync(string name, params (string Label, string Value)[] labels)
    {
        using var stream = new MemoryStream();
        await Metrics.Registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);
        return Exposition.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray())).Value(name, labels);
    }

    public IReadOnlyList<JsonElement> DeadLetters()
    {
        if (!File.Exists(DeadLetterPath))
        {
            return [];
        }
        return [.. File.ReadAllLines(DeadLetterPath).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    public async ValueTask DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
        _tracing.Dispose();
        ((IDisposable)Logger).Dispose();
        if (_ownsDirectory && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private ObservedPipeline Add(string id, ComponentKind kind, string type, object factory, string[] inputs, IsolatePoolSettings settings)
    {
        Assert.True(TestComponents.Catalog.TryGet(kind, type, out var descriptor));
        _components.Add(new ComponentConfig
        {
            Id = id,
            Kind = kind,
            Descriptor = descriptor,
            Options = descriptor.CreateDefaultOptions(),
            Factory = factory,
            Inputs = [.. inputs.Select(i => new InputReference(i, null, SourceMark.None))],
            Stage = settings,
            Mark = new SourceMark("<test>", _components.Count + 1, 1),
        });
        return this;
    }
}
