using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Io.FileTail.TailedDirectory;

namespace Pipeline.Tests.Io.FileTail;

public sealed class FileCheckpointTests
{
    [Fact]
    public async Task A_restart_resumes_from_the_checkpoint_with_nothing_lost_and_nothing_repeated()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "first-", 0, 500);
        var firstSink = new RecordingSink();
        var first = await dir.StartAsync(dir.Config(), firstSink);
        await TestWaits.UntilAsync(() => firstSink.Delivered.Count == 500);
        await dir.StopAsync(first);
        Assert.Equal(new FileInfo(path).Length, dir.CheckpointOf(path));

        AppendLines(path, "second-", 0, 300);
        var secondSink = new RecordingSink();
        await dir.StartAsync(dir.Config(), secondSink);

        await TestWaits.UntilAsync(() => secondSink.Delivered.Count >= 300 && dir.CheckpointOf(path) == new FileInfo(path).Length);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => "second-" + i), Messages(secondSink));
    }

    [Fact]
    public async Task Lines_sent_in_batches_that_a_full_pipeline_blocks_midway_all_arrive_once_and_in_order()
    {
        // The source queues a chunk's events and sends them together; a full sink mailbox stops such a batch in the
        // middle, and the rest must follow once there is room, none twice, none skipped, and the checkpoint reach the end.
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "line-", 0, 3000);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink { BeforeWrite = async (_, _) => await release.Task };
        var pipeline = await dir.StartAsync(dir.Config(), sink);
        await TestWaits.UntilAsync(() => pipeline.Topology.Snapshot().Nodes.Single(n => n.Id == "out").MailboxDepth == TestPipeline.Settings().Mailbox);

        release.SetResult();

        await TestWaits.UntilAsync(() => sink.Delivered.Count >= 3000 && dir.CheckpointOf(path) == new FileInfo(path).Length);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => "line-" + i), Messages(sink));
    }

    [Fact]
    public async Task The_checkpoint_does_not_move_while_the_sink_holds_the_lines_unacknowledged()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "held-", 0, 5);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink
        {
            BeforeWrite = async (_, _) =>
            {
                writing.TrySetResult();
                await release.Task;
            },
        };
        await dir.StartAsync(dir.Config(), sink);
        await writing.Task.Guarded();
        // The source wrote its first checkpoint (offset 0) when it found the file; the lines are not delivered yet.
        await TestWaits.UntilAsync(() => dir.CheckpointOf(path) == 0);

        release.SetResult();

        await TestWaits.UntilAsync(() => dir.CheckpointOf(path) == new FileInfo(path).Length);
        Assert.Equal(5, sink.Delivered.Count);
    }

    [Fact]
    public async Task Without_acknowledgements_the_checkpoint_moves_when_lines_are_handed_on()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "x-", 0, 5);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink { BeforeWrite = async (_, _) => await release.Task };
        await dir.StartAsync(dir.Config(), sink, acknowledgements: false);

        await TestWaits.UntilAsync(() => dir.CheckpointOf(path) == new FileInfo(path).Length);
        Assert.Empty(sink.Delivered);
        release.SetResult();
    }

    [Fact]
    public async Task Read_from_end_skips_what_files_held_at_start_but_reads_files_created_later_from_their_start()
    {
        await using var dir = new TailedDirectory();
        AppendLines(dir.PathOf("old.log"), "old-", 0, 10);
        var sink = new RecordingSink();
        var pipeline = await dir.StartAsync(dir.Config(c => c.ReadFrom = Sources.File.ReadFrom.End), sink);
        await TestWaits.UntilAsync(() => dir.CheckpointOf(dir.PathOf("old.log")) == new FileInfo(dir.PathOf("old.log")).Length);

        AppendLines(dir.PathOf("old.log"), "old-", 10, 2);
        AppendLines(dir.PathOf("new.log"), "new-", 0, 2);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 4);
        Assert.Equal(["new-0", "new-1", "old-10", "old-11"], Messages(sink).Order());
    }
}
