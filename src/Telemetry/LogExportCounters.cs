using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// Exporter health for the service's own logs: <c>pipeline_telemetry_exported_total{signal="logs"}</c> and
/// <c>pipeline_telemetry_dropped_total{signal="logs"}</c>. The span side uses the same two metric names with
/// <c>signal="spans"</c>, so one dashboard panel shows both signals.
/// </summary>
public sealed class LogExportCounters
{
    public const string ExportedMetric = "pipeline_telemetry_exported_total";
    public const string DroppedMetric = "pipeline_telemetry_dropped_total";
    public const string SignalLabel = "signal";
    public const string LogsSignal = "logs";

    private readonly Counter.Child _exported;
    private readonly Counter.Child _dropped;

    public LogExportCounters(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _exported = factory.CreateCounter(ExportedMetric, "Telemetry records Pipeline's own exporters delivered, by signal.", SignalLabel).WithLabels(LogsSignal);
        _dropped = factory.CreateCounter(DroppedMetric, "Telemetry records Pipeline's own exporters gave up on (queue full, retries exhausted or rejected), by signal.", SignalLabel).WithLabels(LogsSignal);
    }

    /// <summary>The counters on prometheus-net's default registry, the one the admin port's /metrics serves.</summary>
    public static LogExportCounters Default { get; } = new(Metrics.DefaultRegistry);

    public double Exported => _exported.Value;

    public double Dropped => _dropped.Value;

    public void AddExported(int count) => _exported.Inc(count);

    public void AddDropped(int count) => _dropped.Inc(count);
}
