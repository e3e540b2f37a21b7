using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using FASTER.core;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Isolates.Buffers;
using Pipeline.Telemetry;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The evaluation behind DiskBuffer's choice: the same records (a serialized log event, framed as the disk buffer
/// frames it) appended and made durable by Microsoft.FASTER.Core's FasterLog and by the purpose-written segment log.
/// Durable means fsynced: FasterLog commits every 1,000 records; the segment log commits in groups as records come
/// (what the runtime does), and the time ends when every record is acknowledged as buffered.
/// </summary>
internal static class BufferLogComparison
{
    public static void Run(int records)
    {
        var evt = Event.Parse("""{"timestamp":"2026-12-04T03:00:00Z","level":"info","service":"checkout","message":"GET /api/orders/12345 served in 12 ms","status":200,"duration_ms":12,"host":"node-7"}"""u8);
        var frame = new ArrayBufferWriter<byte>();
        BufferRecord.Write(frame, new Envelope(evt, default, Stopwatch.GetTimestamp(), 1, "bench"), 0, 0);
        var record = frame.WrittenSpan.ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# buffer log comparison: {records} records of {record.Length} bytes, durable (fsync) before done"));
        for (var round = 0; round < 2; round++)
        {
            var faster = Faster(records, record);
            var segmentLog = SegmentLogAsync(records, evt).GetAwaiter().GetResult();
            if (round == 1)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"buffer_log fasterlog seconds={faster.TotalSeconds:F2} records_per_s={records / faster.TotalSeconds:N0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"buffer_log segment_log seconds={segmentLog.TotalSeconds:F2} records_per_s={records / segmentLog.TotalSeconds:N0}"));
            }
        }
    }

    private static TimeSpan Faster(int records, byte[] record)
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-bench-fasterlog-");
        try
        {
            using var device = Devices.CreateLogDevice(Path.Combine(directory.FullName, "hlog.log"));
            using var log = new FasterLog(new FasterLogSettings { LogDevice = device, LogCommitDir = directory.FullName, PageSizeBits = 22, MemorySizeBits = 26 });
            var clock = Stopwatch.StartNew();
            for (var i = 1; i <= records; i++)
            {
                log.Enqueue(record);
                if (i % 1000 == 0)
                {
                    log.Commit(spinWait: false);
                }
            }
            log.Commit(spinWait: true);
            clock.Stop();
            return clock.Elapsed;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<TimeSpan> SegmentLogAsync(int records, Event evt)
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-bench-segmentlog-");
        try
        {
            var instruments = PipelineMetrics.CreateIsolated().ForComponent("bench", "out", "sink").CreateBufferInstruments(disk: true);
            var tracer = new PipelineTracing("bench", TraceSampler.Create("always_off", null)).ForSink("out", "blackhole", deliversOverNetwork: false);
            var buffer = DiskBuffer.Open(directory.FullName, "out", new BufferSettings { Type = BufferType.Disk, MaxSize = 64L * 1024 * 1024 * 1024 },
                instruments, Serilog.Core.Logger.None, tracer);
            var batch = new SourceBatch();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < records; i++)
            {
                batch.Sending();
                var envelope = new Envelope(evt, default, Stopwatch.GetTimestamp(), 1, "bench", 0, default, batch, i);
                while (buffer.TryAppend(envelope) != AppendResult.Appended)
                {
                    await buffer.WaitForRoomAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            batch.Seal();
            await batch.Completion.ConfigureAwait(false);
            clock.Stop();
            buffer.CompleteWriting();
            await buffer.CloseAsync().ConfigureAwait(false);
            return clock.Elapsed;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
