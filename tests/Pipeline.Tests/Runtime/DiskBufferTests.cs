using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Isolates;
using Pipeline.Isolates.Buffers;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

/// <summary>A sink's disk buffer: durable before it is acknowledged, delivered after a restart, damage skipped and counted.</summary>
public sealed class DiskBufferTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-disk-buffer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static IsolatePoolSettings DiskSettings(long maxSize = 64L * 1024 * 1024, WhenFull whenFull = WhenFull.Block, int isolates = 1, int maxAttempts = 3)
    {
        var settings = TestPipeline.Settings(isolates: isolates, mailbox: 16, batchSize: 16, maxAttempts: maxAttempts);
        settings.Buffer = new BufferSettings { Type = BufferType.Disk, MaxSize = maxSize, WhenFull = whenFull };
        return settings;
    }

    [Fact]
    public async Task Events_pass_through_a_disk_buffer_to_the_sink_in_order()
    {
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline(_directory).Source("in", new CountingSource(500)).Sink("out", sink, ["in"], DiskSettings());
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();

        Assert.Equal(Enumerable.Range(1, 500), Seqs(sink.Delivered));
        Assert.Empty(SegmentFiles.List(DiskBuffer.DirectoryOf(_directory, "out")));
    }

    [Fact]
    public async Task A_batch_is_acknowledged_as_buffered_while_the_sink_is_still_down()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline(_directory).Source("in", source, acknowledgements: true).Sink("out", sink, ["in"], DiskSettings());
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        for (var i = 1; i <= 20; i++)
        {
            Assert.Equal(SendResult.Accepted, await context.SendWithinAsync(Seq(i), default, Timeout.InfiniteTimeSpan, batch, i, Ct));
        }
        batch.Seal();
        var result = await batch.Completion.Guarded();

        Assert.Equal(20, result.Buffered);
        Assert.Empty(sink.Delivered);
        gate.Release();
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 20);
    }

    [Fact]
    public async Task What_the_sink_did_not_deliver_before_a_stop_is_delivered_after_the_restart_exactly_once()
    {
        var down = new RecordingSink { Down = true };
        await using (var first = new TestPipeline(_directory).Source("in", new CountingSource(300)).Sink("out", down, ["in"], DiskSettings()))
        {
            var topology = await first.StartAsync(shutdownTimeout: TimeSpan.FromMilliseconds(300));
            await TestWaits.UntilAsync(() => first.MetricsOf("in", "source").Sent.Value == 300);
            var report = await topology.StopAsync(TimeSpan.FromMilliseconds(300)).Guarded();
            Assert.Empty(first.DeadLetters());
            Assert.Equal(0, report.Undrained["out"]);
        }

        var up = new RecordingSink();
        await using var second = new TestPipeline(_directory).Source("in", new CountingSource(0)).Sink("out", up, ["in"], DiskSettings());
        var restarted = await second.StartAsync();
        await restarted.Completion.Guarded();

        Assert.Equal(Enumerable.Range(1, 300), Seqs(up.Delivered));
        Assert.Empty(SegmentFiles.List(DiskBuffer.DirectoryOf(_directory, "out")));
    }

    [Fact]
    public async Task A_full_buffer_with_block_pushes_back_to_the_source()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline(_directory).Source("in", source).Sink("out", sink, ["in"], DiskSettings(maxSize: BufferSettings.MinDiskSize));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var accepted = 0;
        var padding = new string('x', 1000);
        SendResult last;
        while ((last = await context.SendWithinAsync(Pipeline.Events.Event.Parse($$"""{"seq":{{accepted}},"pad":"{{padding}}"}"""), default, TimeSpan.FromMilliseconds(50), Ct))
            == SendResult.Accepted)
        {
            accepted++;
            Assert.InRange(accepted, 0, 2000);
        }

        Assert.Equal(SendResult.Backpressure, last);
        Assert.InRange(accepted, 500, 1100);
        gate.Release();
        await TestWaits.UntilAsync(() => sink.Delivered.Count == accepted);
    }

    [Fact]
    public async Task A_full_buffer_with_drop_newest_drops_and_counts()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline(_directory)
            .Source("in", source, acknowledgements: true)
            .Sink("out", sink, ["in"], DiskSettings(maxSize: BufferSettings.MinDiskSize, whenFull: WhenFull.DropNewest));
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        var padding = new string('x', 1000);
        for (var i = 0; i < 1500; i++)
        {
            Assert.Equal(SendResult.Accepted, await context.SendWithinAsync(
                Pipeline.Events.Event.Parse($$"""{"seq":{{i}},"pad":"{{padding}}"}"""), default, TimeSpan.FromMilliseconds(50), batch, i, Ct));
        }
        batch.Seal();
        var result = await batch.Completion.Guarded();
        var dropped = pipeline.MetricsOf("out", "sink").DiscardCounter(IsolatePool.BufferFullReason).Value;

        Assert.InRange(result.Dropped, 400, 1000);
        Assert.Equal(result.Dropped, (long)dropped);
        Assert.Equal(1500, result.Buffered + result.Dropped);
        gate.Release();
        await TestWaits.UntilAsync(() => sink.Delivered.Count == result.Buffered);
    }

    [Fact]
    public async Task A_corrupted_record_and_a_torn_tail_are_skipped_and_counted_and_the_rest_is_delivered()
    {
        var segment = await LeaveRecordsBehindAsync(100);
        var bytes = await File.ReadAllBytesAsync(segment, Ct);
        // Damage one record in the middle (a flipped byte in its JSON), and cut the last one in half.
        var starts = RecordStarts(bytes);
        Assert.Equal(100, starts.Count);
        var damaged = starts[50];
        bytes[damaged + (int)BufferRecord.ClaimedLength(bytes.AsSpan(damaged)) - 3] ^= 0x5A;
        var lastStart = starts[^1];
        await File.WriteAllBytesAsync(segment, bytes.AsSpan(0, lastStart + ((bytes.Length - lastStart) / 2)).ToArray(), Ct);

        var (checkedDamaged, report) = await CheckBuffersAsync();
        Assert.Equal(3, checkedDamaged);
        Assert.Contains("98 records, damaged: checksum at offset " + starts[50].ToString(System.Globalization.CultureInfo.InvariantCulture), report);
        Assert.Contains("torn_tail at offset " + lastStart.ToString(System.Globalization.CultureInfo.InvariantCulture), report);

        var up = new RecordingSink();
        await using var restarted = new TestPipeline(_directory).Source("in", new CountingSource(0)).Sink("out", up, ["in"], DiskSettings());
        var topology = await restarted.StartAsync();
        await topology.Completion.Guarded();
        var sink = restarted.MetricsOf("out", "sink");

        Assert.Equal(98, up.Delivered.Count);
        Assert.Equal([.. Enumerable.Range(1, 50), .. Enumerable.Range(52, 48)], Seqs(up.Delivered));
        Assert.Contains(restarted.Log.Events, e => e.RenderMessage().Contains("skipped a damaged record") && e.RenderMessage().Contains("checksum"));
        Assert.Contains(restarted.Log.Events, e => e.RenderMessage().Contains("skipped a damaged record") && e.RenderMessage().Contains("torn_tail"));
    }

    [Fact]
    public async Task Buffer_check_reports_whole_buffers_as_ok()
    {
        await LeaveRecordsBehindAsync(10);

        var (exitCode, report) = await CheckBuffersAsync();

        Assert.Equal(0, exitCode);
        Assert.Contains("10 records, ok", report);
        Assert.Contains("1 disk buffers, 10 readable records, 0 damaged places", report);
    }

    /// <summary><c>pipeline buffer check</c> on a config whose data_dir is this test's and whose sink 'out' has a disk buffer.</summary>
    private async Task<(int ExitCode, string Output)> CheckBuffersAsync()
    {
        var config = Path.Combine(_directory, "check.yaml");
        await File.WriteAllTextAsync(config, $$"""
            name: check
            data_dir: {{_directory}}
            sources:
              in: { type: stdin }
            sinks:
              out: { type: blackhole, inputs: [in], buffer: { type: disk, max_size: 64MiB } }
            """, Ct);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await Pipeline.Host.Cli.RunAsync(["buffer", "check", "--config", config], stdout, stderr, BuiltInComponents.Create(), Ct);
        return (exitCode, stdout + stderr.ToString());
    }

    /// <summary>Runs a pipeline whose sink never delivers, stops it, and returns the one segment it left.</summary>
    private async Task<string> LeaveRecordsBehindAsync(int count)
    {
        var down = new RecordingSink { Down = true };
        await using var first = new TestPipeline(_directory).Source("in", new CountingSource(count)).Sink("out", down, ["in"], DiskSettings());
        var topology = await first.StartAsync(shutdownTimeout: TimeSpan.FromMilliseconds(200));
        await TestWaits.UntilAsync(() => first.MetricsOf("in", "source").Sent.Value == count);
        await topology.StopAsync(TimeSpan.FromMilliseconds(200)).Guarded();
        return SegmentFiles.PathOf(DiskBuffer.DirectoryOf(_directory, "out"), Assert.Single(SegmentFiles.List(DiskBuffer.DirectoryOf(_directory, "out"))));
    }

    internal static List<int> RecordStarts(byte[] segment)
    {
        var starts = new List<int>();
        for (var at = 0; at < segment.Length; at += (int)BufferRecord.ClaimedLength(segment.AsSpan(at)))
        {
            starts.Add(at);
        }
        return starts;
    }
}
