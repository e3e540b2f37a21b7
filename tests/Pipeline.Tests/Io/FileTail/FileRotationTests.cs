using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Io.FileTail.TailedDirectory;

namespace Pipeline.Tests.Io.FileTail;

public sealed class FileRotationTests
{
    [Fact]
    public async Task Rename_and_create_drains_the_rotated_file_to_its_end_then_follows_the_new_one()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "old-", 0, 100);
        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(), sink);
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 100);

        // The writer keeps writing to the renamed file for a moment before it reopens its path.
        File.Move(path, dir.PathOf("app.log.1"));
        AppendLines(dir.PathOf("app.log.1"), "old-", 100, 50);
        AppendLines(path, "new-", 0, 30);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 180 && dir.OpenDescriptors() == 1);
        var messages = Messages(sink);
        Assert.Equal(Enumerable.Range(0, 150).Select(i => "old-" + i), messages.Where(m => m.StartsWith("old-", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => "new-" + i), messages.Where(m => m.StartsWith("new-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Copytruncate_is_noticed_and_the_file_is_read_again_from_its_start()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "before-", 0, 20);
        var sink = new RecordingSink();
        var pipeline = await dir.StartAsync(dir.Config(), sink);
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 20);

        File.Copy(path, dir.PathOf("app.log.1"));
        using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            truncate.SetLength(0);
        }
        const string Truncated = "pipeline_file_truncations_total{pipeline=\"pipeline\",component_id=\"files\",component_kind=\"source\",file_group=\"\"} 1";
        await TestWaits.UntilAsync(() => Exported(pipeline).Contains(Truncated, StringComparison.Ordinal));
        AppendLines(path, "after-", 0, 5);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 25);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => "after-" + i), Messages(sink).Skip(20));
    }

    [Fact]
    public async Task A_file_deleted_while_open_is_read_to_its_end_and_its_handle_released()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "line-", 0, 10);
        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(), sink);
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 10 && dir.OpenDescriptors() == 1);

        // Written and deleted at once: the source still holds the file open and reads what was added.
        using (var writer = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            writer.Write("line-10\nline-11"u8);
            File.Delete(path);
        }

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 12 && dir.OpenDescriptors() == 0);
        Assert.Equal(["line-10", "line-11"], Messages(sink).Skip(10));
    }

    [Fact]
    public async Task A_new_file_on_a_checkpointed_inode_with_other_first_bytes_is_read_from_its_start()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        AppendLines(path, "reused-", 0, 3);
        Assert.True(Sources.File.FileKey.TryStat(path, out var key, out _));
        // The checkpoint a previous run left for a deleted file whose inode the kernel gave to this one.
        Directory.CreateDirectory(Path.GetDirectoryName(dir.CheckpointFile)!);
        File.WriteAllText(dir.CheckpointFile,
            $$"""{"version":1,"files":[{"path":"{{path}}","device":{{key.Device}},"inode":{{key.Inode}},"fingerprint_length":19,"fingerprint":"0123456789abcdef","offset":17}]}""");

        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 3);
        Assert.Equal(["reused-0", "reused-1", "reused-2"], Messages(sink));
    }

    internal static string Exported(TestPipeline pipeline)
    {
        using var text = new MemoryStream();
        pipeline.Metrics.Registry.CollectAndExportAsTextAsync(text).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }
}
