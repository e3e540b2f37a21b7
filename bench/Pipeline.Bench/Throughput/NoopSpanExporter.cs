using System.Diagnostics;
using OpenTelemetry;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// An in-process exporter that accepts every batch and keeps nothing: what the throughput run measures is the cost
/// of making, queueing and batching spans, not of a network.
/// </summary>
internal sealed class NoopSpanExporter : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
}
