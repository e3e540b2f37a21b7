using System.Diagnostics;
using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Io.FileTail.TailedDirectory;

namespace Pipeline.Tests.Io.FileTail;

public sealed class FileLineTests
{
    [Fact]
    public async Task Every_event_carries_its_file_offset_host_and_ingest_time()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        Append(path, "first\r\nsecond\n");
        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 2);
        var second = Parse(sink.Delivered[1]);
        Assert.Equal("second", second.GetProperty("message").GetString());
        Assert.Equal(path, second.GetProperty("file").GetString());
        Assert.Equal(7, second.GetProperty("offset").GetInt64());
        Assert.Equal("node-1", second.GetProperty("host").GetString());
        Assert.True(DateTimeOffset.UtcNow - second.GetProperty("timestamp").GetDateTimeOffset() < TimeSpan.FromMinutes(1));
        Assert.Equal("first", Parse(sink.Delivered[0]).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_line_longer_than_max_line_bytes_is_cut_flagged_and_counted_and_the_next_line_is_whole()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        // Longer than the read buffer too, so its end arrives in later reads that must be skipped.
        Append(path, new string('x', 600_000) + "\nafter\n");
        var sink = new RecordingSink();
        var pipeline = await dir.StartAsync(dir.Config(c => c.MaxLineBytes = new Components.ByteSize(1024)), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 2);
        var cut = Parse(sink.Delivered[0]);
        Assert.Equal(new string('x', 1024), cut.GetProperty("message").GetString());
        Assert.True(cut.GetProperty("truncated").GetBoolean());
        Assert.Equal("after", Parse(sink.Delivered[1]).GetProperty("message").GetString());
        Assert.False(Parse(sink.Delivered[1]).TryGetProperty("truncated", out _));
        Assert.Contains("pipeline_file_truncated_lines_total{pipeline=\"pipeline\",component_id=\"files\",component_kind=\"source\",file_group=\"\"} 1",
            FileRotationTests.Exported(pipeline));
    }

    [Fact]
    public async Task Binary_garbage_becomes_a_dead_letter_record_with_the_reason_and_tailing_goes_on()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        using (var stream = File.OpenWrite(path))
        {
            stream.Write("good-1\n"u8);
            stream.Write([0xC3, 0x28, 0xFF, 0xFE, (byte)'\n']);
            stream.Write([0, 0, 0, 0, (byte)'\n']);
            stream.Write("good-2\n"u8);
        }
        var sink = new RecordingSink();
        var pipeline = await dir.StartAsync(dir.Config(), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 2 && pipeline.DeadLetters().Count == 2);
        Assert.Equal(["good-1", "good-2"], Messages(sink));
        var reasons = pipeline.DeadLetters().Select(d => d.GetProperty("reason").GetString()!).ToList();
        Assert.Contains(reasons, r => r.Contains($"{path} at offset 7", StringComparison.Ordinal) && r.Contains("not UTF-8", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains($"{path} at offset 12", StringComparison.Ordinal) && r.Contains("NUL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Multiline_joins_a_stack_trace_to_the_line_that_starts_it()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        Append(path, "2024-05-01 ERROR boom\n  at A.B()\n  at C.D()\n2024-05-01 INFO next\n");
        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(c => c.Multiline = new() { ["start_pattern"] = @"^\d{4}-", ["timeout"] = "1h" }), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 1);
        var trace = Parse(sink.Delivered[0]);
        Assert.Equal("2024-05-01 ERROR boom\n  at A.B()\n  at C.D()", trace.GetProperty("message").GetString());
        Assert.Equal(0, trace.GetProperty("offset").GetInt64());

        Append(path, "2024-05-01 INFO last\n");
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 2);
        Assert.Equal("2024-05-01 INFO next", Parse(sink.Delivered[1]).GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_incomplete_multiline_message_is_flushed_after_the_timeout()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        Append(path, "Exception: boom\n  at A.B()\n");
        var sink = new RecordingSink();
        var started = Stopwatch.GetTimestamp();
        var pipeline = await dir.StartAsync(dir.Config(c => c.Multiline = new() { ["start_pattern"] = @"^\S", ["timeout"] = "300ms" }), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 1);
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(300));
        Assert.Equal("Exception: boom\n  at A.B()", Parse(sink.Delivered[0]).GetProperty("message").GetString());
        await TestWaits.UntilAsync(() => dir.CheckpointOf(path) == new FileInfo(path).Length);
        Assert.NotNull(pipeline);
    }

    [Fact]
    public async Task Cri_partial_lines_are_joined_per_stream_before_the_event_is_made()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("pod_ns_app-0123.log");
        Append(path,
            "2024-05-01T10:00:00.000000001Z stdout P {\"msg\":\"hel\n" +
            "2024-05-01T10:00:00.000000002Z stderr F oops\n" +
            "2024-05-01T10:00:00.000000003Z stdout F lo\"}\n");
        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(c => c.Format = Sources.File.FileFormat.Cri), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 2);
        var events = sink.Delivered.Select(Parse).ToList();
        var stdout = Assert.Single(events, e => e.GetProperty("stream").GetString() == "stdout");
        Assert.Equal("{\"msg\":\"hello\"}", stdout.GetProperty("message").GetString());
        Assert.Equal("2024-05-01T10:00:00.000000001Z", stdout.GetProperty("timestamp").GetString());
        Assert.Equal(0, stdout.GetProperty("offset").GetInt64());
        Assert.True(stdout.TryGetProperty("ingest_timestamp", out _));
        Assert.Equal("oops", Assert.Single(events, e => e.GetProperty("stream").GetString() == "stderr").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Docker_json_partial_lines_are_joined()
    {
        await using var dir = new TailedDirectory();
        var path = dir.PathOf("app.log");
        Append(path,
            "{\"log\":\"part one, \",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00.1Z\"}\n" +
            "{\"log\":\"part two\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00.2Z\"}\n");
        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(c => c.Format = Sources.File.FileFormat.DockerJson), sink);

        await TestWaits.UntilAsync(() => sink.Delivered.Count == 1);
        Assert.Equal("part one, part two", Parse(sink.Delivered[0]).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_traceparent_in_the_line_becomes_the_events_trace_parent()
    {
        await using var dir = new TailedDirectory();
        Append(dir.PathOf("app.log"),
            "{\"msg\":\"x\",\"traceparent\": \"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}\n{\"msg\":\"no trace\"}\n");
        var context = new FakeSourceContext();
        using var stop = new CancellationTokenSource();
        var source = dir.Config().Build(new Components.ComponentContext("files", "pipeline", dir.Data)).Create();
        var run = source.RunAsync(context, stop.Token);

        await TestWaits.UntilAsync(() => context.Sent.Count == 2);
        await stop.CancelAsync();
        await run.Guarded();
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.Sent[0].TraceContext.TraceId.ToHexString());
        Assert.Equal(default, context.Sent[1].TraceContext);
    }
}
