using System.Globalization;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates.Buffers;

namespace Pipeline.Host;

/// <summary>
/// <c>pipeline buffer check --config FILE</c>: reads every disk buffer of the topology offline, checks every record's
/// frame and checksum, and reports per segment what it found, where and what kind of damage. Changes nothing.
/// </summary>
/// <remarks>
/// Run it with the service stopped: on a running one the newest segment may end in a record still being written,
/// which then reads as a torn tail.
/// </remarks>
internal static class BufferCheck
{
    /// <summary>Exit code when a buffer holds damaged records (1 is a config or usage error).</summary>
    public const int DamageFound = 3;

    public static int Run(PipelineConfig config, TextWriter output)
    {
        var buffers = config.Components.Where(c => c.Kind == ComponentKind.Sink && c.Stage.Buffer is { Type: BufferType.Disk }).ToList();
        if (buffers.Count == 0)
        {
            output.WriteLine($"{config.File}: no sink has a disk buffer (buffer: {{ type: disk }}); nothing to check");
            return 0;
        }
        long records = 0, damaged = 0;
        foreach (var sink in buffers)
        {
            var directory = DiskBuffer.DirectoryOf(config.DataDirectory, sink.Id);
            var segments = SegmentFiles.List(directory);
            var ledger = SegmentFiles.ReadLedger(directory);
            var bytes = segments.Sum(s => new FileInfo(SegmentFiles.PathOf(directory, s)).Length);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sink {sink.Id}: {directory}: {segments.Count} segments, {bytes} bytes, max_size {sink.Stage.Buffer!.MaxSize}; {DescribeLedger(directory, ledger)}"));
            foreach (var segment in segments)
            {
                var path = SegmentFiles.PathOf(directory, segment);
                var found = new List<string>();
                var valid = 0L;
                using (var scan = new SegmentScan(path, 0))
                {
                    var length = scan.FileLength;
                    while (scan.TryNext(length, isFinal: true, (offset, kind) => found.Add(string.Create(CultureInfo.InvariantCulture, $"{kind} at offset {offset}")), out _))
                    {
                        valid++;
                    }
                }
                records += valid;
                damaged += found.Count;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {Path.GetFileName(path)}: {valid} records{(found.Count == 0 ? ", ok" : ", damaged: " + string.Join("; ", found))}"));
            }
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{buffers.Count} disk buffers, {records} readable records, {damaged} damaged places{(damaged > 0 ? " (the service skips them, counts them in pipeline_buffer_corrupt_records_total and delivers the rest)" : "")}"));
        return damaged > 0 ? DamageFound : 0;
    }

    private static string DescribeLedger(string directory, (long Segment, long Offset)? ledger)
        => ledger is { } at
            ? string.Create(CultureInfo.InvariantCulture, $"delivered up to {Path.GetFileName(SegmentFiles.PathOf(directory, at.Segment))} offset {at.Offset}")
            : File.Exists(Path.Combine(directory, SegmentFiles.LedgerName))
                ? "the ledger is damaged: the next start delivers every segment from its beginning"
                : "no ledger: nothing delivered from these segments yet";
}
