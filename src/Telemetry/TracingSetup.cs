using System.Diagnostics;
using System.Reflection;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Pipeline.Telemetry;

/// <summary>
/// Wires the OpenTelemetry tracer provider: the pipeline's ActivitySource, ParentBased(AlwaysOn) (the sampling
/// decision was made at ingest by <see cref="TraceSampler"/>), the resource, and a bounded batch export queue in front
/// of the exporter. Also counts exported and dropped spans into <c>pipeline_telemetry_exported_total</c> /
/// <c>pipeline_telemetry_dropped_total{signal="spans"}</c>.
/// </summary>
/// <remarks>
/// The batch processor never blocks the thread that ends a span: a full queue drops the span. A failing or slow
/// exporter therefore costs spans, never pipeline throughput. Dropped = spans the full queue refused plus spans in
/// batches the exporter failed on.
/// </remarks>
public sealed class TracingSetup : IDisposable
{
    // The SDK counts queue drops but keeps the count internal; reading it is the only way short of re-implementing the
    // batch processor's queue. Looked up once; if a later SDK renames it, queue drops are simply not counted.
    private static readonly PropertyInfo? DroppedCountProperty =
        typeof(BatchExportProcessor<Activity>).GetProperty("DroppedCount", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);

    private readonly TracerProvider? _provider;
    private readonly BatchActivityExportProcessor? _queue;
    private readonly ExportCounts _counts = new();
    private readonly PipelineMetrics _metrics;
    private readonly Prometheus.Counter.Child _exported;
    private readonly Prometheus.Counter.Child _dropped;

    private TracingSetup(TracingConfiguration configuration, PipelineMetrics metrics, BaseExporter<Activity>? exporter)
    {
        Configuration = configuration;
        _metrics = metrics;
        (_exported, _dropped) = metrics.ForTelemetrySignal(TelemetryNames.SpansSignal);
        BaseExporter<Activity>? counted = exporter is not null
            ? new CountingSpanExporter(exporter, _counts)
            : configuration.Exports ? new OtlpSpanExporter(configuration.ToOtlpExporterOptions(), _counts) : null;
        if (counted is null)
        {
            return;
        }
        _queue = new BatchActivityExportProcessor(
            counted,
            maxQueueSize: configuration.MaxQueueSize,
            scheduledDelayMilliseconds: (int)configuration.ScheduledDelay.TotalMilliseconds,
            exporterTimeoutMilliseconds: (int)configuration.ExportTimeout.TotalMilliseconds,
            maxExportBatchSize: Math.Min(configuration.MaxExportBatchSize, configuration.MaxQueueSize));
        _provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(TelemetryNames.ActivitySourceName)
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddAttributes(configuration.Resource))
            .AddProcessor(_queue)
            .Build();
        metrics.AddScrapeProbe(UpdateCounters);
    }

    public TracingConfiguration Configuration { get; }

    /// <summary>True when spans are recorded and exported (an exporter is configured).</summary>
    public bool IsRecording => _provider is not null;

    /// <summary>
    /// Starts tracing as configured. <paramref name="exporter"/> replaces the configured exporter with an in-process
    /// one (tests' in-memory exporter, the benchmark's no-op), and turns recording on whatever the configuration says.
    /// </summary>
    public static TracingSetup Start(TracingConfiguration configuration, PipelineMetrics metrics, BaseExporter<Activity>? exporter = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(metrics);
        return new TracingSetup(configuration, metrics, exporter);
    }

    /// <summary>The pipeline's tracing with the configured sampler.</summary>
    public PipelineTracing ForPipeline(string pipelineName) => new(pipelineName, Configuration.Sampler);

    /// <summary>Exports what is queued, waiting at most <paramref name="timeout"/>.</summary>
    public bool Flush(TimeSpan timeout) => _provider?.ForceFlush((int)timeout.TotalMilliseconds) ?? true;

    public void Dispose()
    {
        if (_provider is null)
        {
            return;
        }
        _provider.ForceFlush((int)Configuration.ExportTimeout.TotalMilliseconds);
        UpdateCounters();
        _metrics.RemoveScrapeProbe(UpdateCounters);
        _provider.Dispose();
    }

    private void UpdateCounters()
    {
        _exported.IncTo(_counts.Exported);
        var queueDrops = _queue is not null && DroppedCountProperty?.GetValue(_queue) is long dropped ? dropped : 0;
        _dropped.IncTo(_counts.Failed + queueDrops);
    }
}
