using Pipeline.Components;
using Pipeline.Sources.File;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

public sealed class FileSpanTests
{
    [Fact]
    public async Task A_sampled_lines_trace_starts_at_the_file_source_with_the_file_and_offset_and_continues_a_traceparent_in_the_line()
    {
        var logs = Directory.CreateTempSubdirectory("pipeline-file-spans-");
        try
        {
            var path = Path.Combine(logs.FullName, "app.log");
            const string Parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
            var first = "{\"msg\":\"continued\",\"traceparent\":\"" + Parent + "\"}\n";
            await File.WriteAllTextAsync(path, first + "plain line\n", TestContext.Current.CancellationToken);
            var source = new FileSourceConfig { Include = [Path.Combine(logs.FullName, "*.log")], GlobMinimumCooldown = TimeSpan.FromMilliseconds(20) }
                .Build(new ComponentContext("tail", "test", logs.FullName));
            var sink = new RecordingSink();
            await using var pipeline = new ObservedPipeline()
                .Source("tail", source)
                .Sink("out", sink, ["tail"]);
            await pipeline.StartAsync();
            await TestWaits.UntilAsync(() => sink.Delivered.Count == 2);

            var spans = await pipeline.StopAndCollectSpansAsync();
            var ingest = spans.Where(s => s.GetTagItem("log.file.path") is not null).OrderBy(s => (long)s.GetTagItem("pipeline.file.offset")!).ToList();
            Assert.Equal(2, ingest.Count);
            Assert.All(ingest, s => Assert.Equal(path, s.GetTagItem("log.file.path")));
            Assert.Equal([0L, (long)first.Length], ingest.Select(s => (long)s.GetTagItem("pipeline.file.offset")!));
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", ingest[0].TraceId.ToHexString());
            Assert.Equal("b7ad6b7169203331", ingest[0].ParentSpanId.ToHexString());
            Assert.Equal(default, ingest[1].ParentSpanId);
            // The sink's spans belong to the same traces: the trace that started at the file runs through to delivery.
            Assert.Contains(spans, s => s.TraceId == ingest[1].TraceId && !ReferenceEquals(s, ingest[1]));
        }
        finally
        {
            logs.Delete(recursive: true);
        }
    }
}
