using Components_ = Pipeline.Components.ComponentKind;

namespace Pipeline.Config;

/// <summary>A whole validated topology file. The defaults here are the only ones: the loader starts from them.</summary>
public sealed record PipelineConfig
{
    /// <summary>The file it came from (or <c>&lt;embedded default&gt;</c>).</summary>
    public required string File { get; init; }

    /// <summary>The pipeline's name: the <c>pipeline</c> label on every metric.</summary>
    public string Name { get; init; } = "pipeline";

    /// <summary>How long graceful shutdown may take to drain every mailbox to the sinks.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The service's data directory. Today it holds only the dead-letter file, and only by default
    /// (see <see cref="DeadLetterPath"/>).</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>JSON-lines file for dead-lettered events; defaults to <c>{data_dir}/dead-letter.jsonl</c>.</summary>
    public string? DeadLetterPath { get; init; }

    /// <summary><c>admin</c>: the admin endpoints' address, TLS and tokens (<c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>, <c>/topology</c>, <c>/loglevel</c>).</summary>
    public Security.AdminSettings Admin { get; init; } = new();

    /// <summary>Where the admin endpoints listen: <see cref="Admin"/>'s address.</summary>
    public string AdminAddress => Admin.Address;

    /// <summary><c>telemetry.traces</c>: sampling and span export. Standard OTEL_* variables apply where YAML is silent.</summary>
    public TracesSettings Traces { get; init; } = new();

    /// <summary><c>memory_limiter</c>: above its soft limit, sources refuse new input (on by default, from the memory available).</summary>
    public Isolates.MemoryLimiterSettings MemoryLimiter { get; init; } = new();

    /// <summary><c>telemetry.logs</c>: level and log shipping.</summary>
    public LogsSettings Logs { get; init; } = new();

    public required IReadOnlyList<ComponentConfig> Components { get; init; }

    /// <summary><c>tests:</c>, run by <c>pipeline test</c> (docs/config-tests.md); ignored by <c>run</c>.</summary>
    public IReadOnlyList<UnitTests.ConfigUnitTest> Tests { get; init; } = [];

    /// <summary>What is valid but likely not meant, each where it was written: <c>validate</c> prints them, <c>run</c> logs them.</summary>
    public IReadOnlyList<ConfigWarning> Warnings { get; init; } = [];

    /// <summary>
    /// Every top-level setting outside sources, stages and sinks (and each key of <c>telemetry</c> and
    /// <c>telemetry.logs</c> on its own) as canonical text by dotted path: how a reload tells which settings changed.
    /// </summary>
    public IReadOnlyDictionary<string, string> SettingFingerprints { get; init; } = new Dictionary<string, string>();

    public IEnumerable<ComponentConfig> Sources => Components.Where(c => c.Kind == Components_.Source);

    public IEnumerable<ComponentConfig> Stages => Components.Where(c => c.Kind == Components_.Processor);

    public IEnumerable<ComponentConfig> Sinks => Components.Where(c => c.Kind == Components_.Sink);

    /// <summary>"1 source, 3 stages, 2 sinks": how validate and the service's start-up line count the topology.</summary>
    public string ComponentCounts => $"{Count(Sources, "source")}, {Count(Stages, "stage")}, {Count(Sinks, "sink")}";

    private static string Count(IEnumerable<ComponentConfig> components, string noun)
        => components.Count() is var n && n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    public string ResolvedDeadLetterPath => DeadLetterPath ?? Path.Combine(DataDirectory, "dead-letter.jsonl");
}
