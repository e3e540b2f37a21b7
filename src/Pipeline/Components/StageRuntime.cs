using Pipeline.Telemetry;

namespace Pipeline.Components;

/// <summary>What a stage's shared state gets from the runtime when it starts: the stage's logger and metrics.</summary>
/// <param name="Logger">The runtime's logger for this stage, already enriched with its id.</param>
public sealed record StageRuntime(Serilog.ILogger Logger, ComponentMetrics Metrics);
