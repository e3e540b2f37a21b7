using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics of one script stage: runtimes stopped at a limit (and replaced), and reloads of its script file.
/// Failures of single events are the stage's usual <c>pipeline_component_errors_total</c> and dead letters.
/// </summary>
public sealed class ScriptInstruments
{
    public const string LimitLabel = "limit";
    public const string ResultLabel = "result";

    /// <summary>Values of <see cref="LimitLabel"/>.</summary>
    public const string CpuTimeLimit = "cpu_time";
    public const string HeapLimit = "heap";

    /// <summary>Values of <see cref="ResultLabel"/>.</summary>
    public const string Applied = "applied";
    public const string Rejected = "rejected";

    internal ScriptInstruments(CollectorRegistry registry, string[] componentLabels)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        string[] labels = [TelemetryNames.PipelineLabel, TelemetryNames.ComponentIdLabel, TelemetryNames.ComponentKindLabel];
        // prometheus-net returns the existing family when one of the same name and labels is created again, so every
        // script stage of a registry shares it.
        var limits = factory.CreateCounter("pipeline_script_limit_exceeded_total",
            "Script calls stopped because they went past the stage's cpu_time_limit or heap_limit; the runtime is replaced and the batch retried in halves.",
            [.. labels, LimitLabel]);
        var reloads = factory.CreateCounter("pipeline_script_reloads_total",
            "Changes of a script stage's file: applied (every isolate switches at its next batch) or rejected (the old script keeps running).",
            [.. labels, ResultLabel]);
        CpuTimeExceeded = new MetricCounter(limits.WithLabels([.. componentLabels, CpuTimeLimit])).Published();
        HeapExceeded = new MetricCounter(limits.WithLabels([.. componentLabels, HeapLimit])).Published();
        ReloadsApplied = new MetricCounter(reloads.WithLabels([.. componentLabels, Applied])).Published();
        ReloadsRejected = new MetricCounter(reloads.WithLabels([.. componentLabels, Rejected])).Published();
    }

    public MetricCounter CpuTimeExceeded { get; }

    public MetricCounter HeapExceeded { get; }

    public MetricCounter ReloadsApplied { get; }

    public MetricCounter ReloadsRejected { get; }
}
