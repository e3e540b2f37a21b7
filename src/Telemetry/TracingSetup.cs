using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
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
    private TracerProvider? _provider;
    private BatchActivityExportProcessor? _queue;
    private readonly ExportCounts _counts = new();
    private readonly PipelineMetrics _metrics;
    private readonly Prometheus.Counter.Child _exported;
    private readonly Prometheus.Counter.Child _dropped;

    private TracingSetup(TracingConfiguration configuration, PipelineMetrics metrics)
    {
        Configuration = configuration;
        _metrics = metrics;
        (_exported, _dropped) = metrics.ForTelemetrySignal(TelemetryNames.SpansSignal);
    }

    public TracingConfiguration Configuration { get; }

    /// <summary>True when spans are recorded and exported (an exporter is configured).</summary>
    public bool IsRecording => _provider is not null;

    /// <summary>Starts tracing as configured.</summary>
    public static TracingSetup Start(TracingConfiguration configuration, PipelineMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(metrics);
        var setup = new TracingSetup(configuration, metrics);
        if (configuration.Exports)
        {
            setup.RecordToOtlp();
        }
        return setup;
    }

    /// <summary>
    /// Starts tracing as configured, except that <paramref name="exporter"/> replaces the configured exporter with an
    /// in-process one (tests' in-memory exporter, the benchmark's no-op) and turns recording on whatever the
    /// configuration says.
    /// </summary>
    public static TracingSetup Start(TracingConfiguration configuration, PipelineMetrics metrics, BaseExporter<Activity>? exporter)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(metrics);
        var setup = new TracingSetup(configuration, metrics);
        if (exporter is not null)
        {
            setup.Record(new CountingSpanExporter(exporter, setup._counts));
        }
        else if (configuration.Exports)
        {
            setup.RecordToOtlp();
        }
        return setup;
    }

    /// <summary>The pipeline's tracing with the configured sampler.</summary>
    public PipelineTracing ForPipeline(string pipelineName) => new(pipelineName, Configuration.Sampler);

    /// <summary>Exports what is queued, waiting at most <paramref name="timeout"/>.</summary>
    public bool Flush(TimeSpan timeout) => _provider is null || FlushProvider(timeout);

    public void Dispose()
    {
        if (_provider is not null)
        {
            DisposeProvider();
        }
    }

    // Only the methods below name the OpenTelemetry SDK's types: a service that exports no span (the default)
    // never calls them, so the SDK and the OTLP exporter (about 1 MiB of mapped assemblies, and System.Net.Http) do not
    // load. NoInlining keeps the types out of the callers the JIT or ReadyToRun prepares at start-up.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordToOtlp() => Record(new OtlpSpanExporter(Configuration.ToOtlpExporterOptions(), _counts));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Record(BaseExporter<Activity> counted)
    {
        var configuration = Configuration;
        var queue = new BatchActivityExportProcessor(
            counted,
            maxQueueSize: configuration.MaxQueueSize,
            scheduledDelayMilliseconds: (int)configuration.ScheduledDelay.TotalMilliseconds,
            exporterTimeoutMilliseconds: (int)configuration.ExportTimeout.TotalMilliseconds,
            maxExportBatchSize: Math.Min(configuration.MaxExportBatchSize, configuration.MaxQueueSize));
        _queue = queue;
        _provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(TelemetryNames.ActivitySourceName)
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddAttributes(configuration.Resource))
            .AddProcessor(queue)
            .Build();
        _metrics.AddScrapeProbe(UpdateCounters);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FlushProvider(TimeSpan timeout) => _provider!.ForceFlush((int)timeout.TotalMilliseconds);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DisposeProvider()
    {
        var provider = _provider!;
        provider.ForceFlush((int)Configuration.ExportTimeout.TotalMilliseconds);
        UpdateCounters();
        _metrics.RemoveScrapeProbe(UpdateCounters);
        provider.Dispose();
    }

    private void UpdateCounters()
    {
        _exported.IncTo(_counts.Exported);
        var queueDrops = _queue is not null && QueueDrops.Property?.GetValue(_queue) is long dropped ? dropped : 0;
        _dropped.IncTo(_counts.Failed + queueDrops);
    }

    private static class QueueDrops
    {
        // The SDK counts queue drops but keeps the count internal; reading it is the only way short of re-implementing
        // the batch processor's queue. Looked up once, in a class of its own so that a TracingSetup that records
        // nothing does not load the SDK; if a later SDK renames it, queue drops are simply not counted.
        public static readonly PropertyInfo? Property =
            typeof(BatchExportProcessor<Activity>).GetProperty("DroppedCount", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
    }
}
