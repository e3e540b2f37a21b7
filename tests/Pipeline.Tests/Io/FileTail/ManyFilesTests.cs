using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Io.FileTail.TailedDirectory;

namespace Pipeline.Tests.Io.FileTail;

public sealed class ManyFilesTests
{
    [Fact]
    public async Task A_thousand_files_appended_concurrently_deliver_every_line_exactly_once_within_the_open_file_limit()
    {
        const int Files = 1000;
        const int Rounds = 5;
        const int LinesPerRound = 4;
        const int MaxOpen = 100;
        await using var dir = new TailedDirectory();
        var sink = new RecordingSink();
        await dir.StartAsync(dir.Config(c => c.MaxOpenFiles = MaxOpen), sink);

        // The descriptors this process holds on the log files, sampled all along (the limit is the source's to keep).
        // A walk of /proc/self/fd is not atomic: a close and an open during one walk are both counted. Each sample is
        // the lower of two walks in a row, so only churn during both could overcount.
        using var sampling = new CancellationTokenSource();
        var mostOpen = 0;
        var sampler = Task.Run(async () =>
        {
            var previous = int.MaxValue;
            while (!sampling.IsCancellationRequested)
            {
                var current = dir.OpenDescriptors();
                mostOpen = Math.Max(mostOpen, Math.Min(previous, current));
                previous = current;
                await Task.Yield();
            }
        }, TestContext.Current.CancellationToken);

        // Four writers, each appending to its quarter of the files, round after round, while the source reads. They
        // write through hard links outside the logs directory, so their own descriptors are not counted as the source's.
        var writers = Path.Combine(dir.Root, "writers");
        Directory.CreateDirectory(writers);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                for (var file = writer; file < Files; file += 4)
                {
                    var link = Path.Combine(writers, $"f{file:D4}.log");
                    if (round == 0)
                    {
                        File.WriteAllBytes(link, []);
                        Assert.Equal(0, Mono.Unix.Native.Syscall.link(link, dir.PathOf($"f{file:D4}.log")));
                    }
                    AppendLines(link, $"f{file}-", round * LinesPerRound, LinesPerRound);
                }
            }
        }, TestContext.Current.CancellationToken)));

        await TestWaits.UntilAsync(() => sink.Delivered.Count >= Files * Rounds * LinesPerRound);
        await sampling.CancelAsync();
        await sampler;

        var messages = Messages(sink);
        Assert.Equal(Files * Rounds * LinesPerRound, messages.Count);
        Assert.Equal(messages.Count, messages.Distinct().Count());
        for (var file = 0; file < Files; file += 97)
        {
            var ofFile = messages.Where(m => m.StartsWith($"f{file}-", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, Rounds * LinesPerRound).Select(i => $"f{file}-{i}"), ofFile);
        }
        Assert.True(mostOpen is > 0 and <= MaxOpen, $"at most {mostOpen} log files were open at once (limit {MaxOpen})");
    }
}
