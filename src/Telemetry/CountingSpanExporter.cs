using System.Diagnostics;
using OpenTelemetry;

namespace Pipeline.Telemetry;

/// <summary>
/// Wraps an in-process span exporter (in-memory, a benchmark's no-op) to count what it delivered and what it failed
/// on, and turns an exception into <see cref="ExportResult.Failure"/> so a failing exporter only costs its batch.
/// It runs on the batch processor's worker thread, never on a pipeline thread.
/// </summary>
/// <remarks>
/// Not for the OTLP exporter: that one reads the service resource from its parent provider, which the SDK sets only
/// on the exporter it was given, so <see cref="OtlpSpanExporter"/> counts by subclassing instead of wrapping.
/// </remarks>
public sealed class CountingSpanExporter : BaseExporter<Activity>
{
    private readonly BaseExporter<Activity> _inner;

    public CountingSpanExporter(BaseExporter<Activity> inner, ExportCounts counts)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(counts);
        _inner = inner;
        Counts = counts;
    }

    public ExportCounts Counts { get; }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        // Runs on the batch processor's worker thread, once per batch: the closure is not on a pipeline hot path.
        var copy = batch;
        return Counts.Measure(() => _inner.Export(copy), batch.Count);
    }

    protected override bool OnForceFlush(int timeoutMilliseconds) => _inner.ForceFlush(timeoutMilliseconds);

    protected override bool OnShutdown(int timeoutMilliseconds) => _inner.Shutdown(timeoutMilliseconds);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
