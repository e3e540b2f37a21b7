using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;

namespace Pipeline.Telemetry;

/// <summary>The OTLP span exporter (gRPC or HTTP/protobuf), counting what it delivered and what it failed on.</summary>
public sealed class OtlpSpanExporter : OtlpTraceExporter
{
    public OtlpSpanExporter(OtlpExporterOptions options, ExportCounts counts)
        : base(options)
    {
        ArgumentNullException.ThrowIfNull(counts);
        Counts = counts;
    }

    public ExportCounts Counts { get; }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        // Runs on the batch processor's worker thread, once per batch: the closure is not on a pipeline hot path.
        var copy = batch;
        return Counts.Measure(() => base.Export(copy), batch.Count);
    }
}
