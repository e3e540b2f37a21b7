using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Io.FileTail.TailedDirectory;

namespace Pipeline.Tests.Io.FileTail;

public sealed class FileMetricsTests
{
    [Fact]
    public async Task By_default_the_per_file_series_are_one_per_source_whatever_the_number_of_files()
    {
        await using var dir = new TailedDirectory();
        AppendLines(dir.PathOf("pod-a_ns_app-1.log"), "a-", 0, 3);
        AppendLines(dir.PathOf("pod-b_ns_app-2.log"), "b-", 0, 4);
        var sink = new RecordingSink();
        var pipeline = await dir.StartAsync(dir.Config(), sink);
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 7);

        await TestWaits.UntilAsync(() => FileRotationTests.Exported(pipeline).Contains(
            "pipeline_file_read_lines_total{pipeline=\"pipeline\",component_id=\"files\",component_kind=\"source\",file_group=\"\"} 7", StringComparison.Ordinal));
        Assert.Single(Series(pipeline, "pipeline_file_read_lines_total"));
        Assert.Contains("pipeline_file_watched_files{pipeline=\"pipeline\",component_id=\"files\",component_kind=\"source\"} 2", FileRotationTests.Exported(pipeline));
    }

    [Fact]
    public async Task Metrics_by_pod_label_each_pod_and_drop_its_series_when_its_last_file_goes()
    {
        await using var dir = new TailedDirectory();
        AppendLines(dir.PathOf("pod-a_ns_app-1.log"), "a-", 0, 3);
        AppendLines(dir.PathOf("pod-b_ns_app-2.log"), "b-", 0, 4);
        var sink = new RecordingSink();
        var pipeline = await dir.StartAsync(dir.Config(c => c.MetricsBy = Sources.File.FileMetricsScope.Pod), sink);
        await TestWaits.UntilAsync(() => sink.Delivered.Count == 7);
        Assert.Contains("file_group=\"ns/pod-a\"} 3", FileRotationTests.Exported(pipeline));
        Assert.Contains("file_group=\"ns/pod-b\"} 4", FileRotationTests.Exported(pipeline));

        File.Delete(dir.PathOf("pod-b_ns_app-2.log"));

        await TestWaits.UntilAsync(() => !FileRotationTests.Exported(pipeline).Contains("ns/pod-b", StringComparison.Ordinal));
        Assert.Equal(["ns/pod-a"], Series(pipeline, "pipeline_file_read_lines_total").Select(GroupOf));
    }

    private static List<string> Series(TestPipeline pipeline, string metric) =>
        [.. FileRotationTests.Exported(pipeline).Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal))];

    private static string GroupOf(string series)
    {
        var start = series.IndexOf("file_group=\"", StringComparison.Ordinal) + "file_group=\"".Length;
        return series[start..series.IndexOf('"', start)];
    }
}
