using System.Diagnostics;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Processors.Script;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;
using Serilog;

namespace Pipeline.Tests.Script;

/// <summary>
/// A script stage run through the real isolate runtime: its mailboxes are filled before its isolates start, so the
/// events the test adds reach the script together, in batches of <c>batchSize</c>. Every output has a recording sink.
/// </summary>
internal sealed class ScriptStage : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipeline-script-tests", Guid.NewGuid().ToString("N"));
    private readonly DeadLetterWriter _deadLetters;
    private readonly Serilog.Core.Logger _logger;
    private readonly List<(IsolatePool Pool, RecordingSink Sink)> _outputs = [];

    public ScriptStage(ScriptConfig config, int isolates = 1, int batchSize = 64, int maxRestarts = 5, Action<ScriptProcessorFactory>? prepare = null)
    {
        Directory.CreateDirectory(_directory);
        _logger = new LoggerConfiguration().MinimumLevel.Verbose().Enrich.With<ActivityEnricher>().WriteTo.Sink(Log).CreateLogger();
        _deadLetters = new DeadLetterWriter(DeadLetterPath, "test", _logger);
        Factory = (ScriptProcessorFactory)config.Build(new ComponentContext("js", "test", _directory));
        prepare?.Invoke(Factory);
        var settings = new IsolatePoolSettings
        {
            Isolates = isolates,
            Mailbox = 4096,
            BatchSize = batchSize,
            MaxAttempts = 3,
            MaxRestarts = maxRestarts,
            RestartWindow = TimeSpan.FromHours(1),
            RetryBackoff = TimeSpan.FromMilliseconds(1),
        };
        Pool = IsolatePool.ForProcessor("js", "script", settings, Factory, new ComponentCounters(Metrics.ForComponent("test", "js", "processor")), _deadLetters, _logger);
        // The test is the stage's producer: its mailboxes stay open until FinishAsync.
        Pool.AddUpstream();
        foreach (var output in Pool.Outputs)
        {
            var sink = new RecordingSink();
            var id = "out_" + (output.Name ?? "default");
            var sinkPool = IsolatePool.ForSink(id, "test_sink", new IsolatePoolSettings { RetryBackoff = TimeSpan.FromMilliseconds(1) }, sink,
                new ComponentCounters(Metrics.ForComponent("test", id, "sink")), _deadLetters, _logger);
            output.AddConsumer(sinkPool);
            sinkPool.AddUpstream();
            _outputs.Add((sinkPool, sink));
        }
    }

    public PipelineMetrics Metrics { get; } = PipelineMetrics.CreateIsolated();

    public CapturedLog Log { get; } = new();

    public ScriptProcessorFactory Factory { get; }

    public IsolatePool Pool { get; }

    public string DeadLetterPath => Path.Combine(_directory, "dead-letter.jsonl");

    public string Directory0 => _directory;

    /// <summary>Puts an event in the stage's mailbox (round robin over its isolates).</summary>
    public void Add(string json, ActivityContext trace = default)
    {
        var evt = Event.Parse(json);
        var now = Stopwatch.GetTimestamp();
        Assert.Equal(Admission.Admitted, Pool.TryAdmit(Pool.Route(evt), new Envelope(evt, trace, now, 1, "test", now)));
    }

    /// <summary>Starts the outputs and the stage, lets it process everything added, and waits until all was delivered.</summary>
    public async Task RunAsync(bool complete = true)
    {
        foreach (var (pool, _) in _outputs)
        {
            pool.Start(CancellationToken.None);
        }
        Pool.Start(CancellationToken.None);
        if (complete)
        {
            await FinishAsync();
        }
    }

    /// <summary>After <see cref="RunAsync"/> with <c>complete: false</c>: no more input; waits until all was delivered.</summary>
    public async Task FinishAsync()
    {
        Pool.UpstreamFinished();
        await Pool.Completion.Guarded();
        foreach (var (pool, _) in _outputs)
        {
            pool.UpstreamFinished();
            await pool.Completion.Guarded();
        }
    }

    /// <summary>What reached the default output (null) or a named one, as JSON text.</summary>
    public IReadOnlyList<string> Delivered(string? output = null)
        => _outputs[output is null ? 0 : 1 + Factory.NamedOutputs.ToList().IndexOf(output)].Sink.Delivered;

    public IReadOnlyList<JsonElement> DeadLetters() => TestPipeline.ReadDeadLetters(DeadLetterPath);

    /// <summary>A counter of the stage, read off the registry's exposition.</summary>
    public double Counter(string name, string? label = null)
    {
        using var stream = new MemoryStream();
        Metrics.Registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        var total = 0.0;
        foreach (var line in System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains("component_id=\"js\"", StringComparison.Ordinal)
                && (label is null || line.Contains(label, StringComparison.Ordinal)))
            {
                total += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        _deadLetters.Dispose();
        await _logger.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
