using OpenTelemetry;

namespace Pipeline.Telemetry;

/// <summary>Spans an exporter delivered and failed to deliver, counted by batch; thread-safe.</summary>
public sealed class ExportCounts
{
    private long _exported;
    private long _failed;

    /// <summary>Spans in batches the exporter reported delivered.</summary>
    public long Exported => Interlocked.Read(ref _exported);

    /// <summary>Spans in batches the exporter failed on (an error result or an exception).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>
    /// Runs one export and counts its outcome; an exception becomes <see cref="ExportResult.Failure"/> (the SDK would
    /// log and swallow it too), so a failing exporter costs only its batch and the count stays honest.
    /// </summary>
    public ExportResult Measure(Func<ExportResult> export, long count)
    {
        ArgumentNullException.ThrowIfNull(export);
        ExportResult result;
        try
        {
            result = export();
        }
        catch (Exception)
        {
            result = ExportResult.Failure;
        }
        Record(result, count);
        return result;
    }

    public void Record(ExportResult result, long count)
        => Interlocked.Add(ref result == ExportResult.Success ? ref _exported : ref _failed, count);
}
