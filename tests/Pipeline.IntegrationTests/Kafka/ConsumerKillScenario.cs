using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests.Kafka;

/// <summary>
/// A kafka → file pipeline killed with SIGKILL mid-stream and restarted over the same directory, against any cluster
/// (the mock one, a real broker in a container). At-least-once, measured: every record reaches the file, and a record
/// is read again only when it lay beyond the group's committed offset at the kill, so the duplicates are at most the
/// records the first run wrote past that offset.
/// </summary>
internal static class ConsumerKillScenario
{
    private const int Records = 8000;
    private const int BeforeStart = 3000;
    private const int Chunk = 100;

    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(KafkaBackend kafka, string topic)
    {
        var group = $"it-kill-{Guid.NewGuid():N}";
        var yaml = KafkaTopologies.Consumer("kill", kafka.BootstrapServers, group, topic);
        await kafka.ProduceAsync(topic, 0, BeforeStart);

        await using var first = await PipelineProcess.StartAsync("kafka-kill", yaml);
        var output = Path.Combine(first.DataDirectory, KafkaTopologies.OutputFile);
        // The rest arrives while the first run reads, so the kill finds records in flight; its pace only shapes the
        // stream, no assertion depends on it.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var producing = Task.Run(async () =>
        {
            for (var from = BeforeStart; from < Records; from += Chunk)
            {
                await kafka.ProduceAsync(topic, from, Chunk);
                await Task.Delay(TimeSpan.FromMilliseconds(20), stop.Token);
            }
        }, stop.Token);

        // Mid-stream: part of the records in the file and part of them committed, so the kill cuts between the two.
        await Poll.UntilAsync(
            () => Task.Run(() => (Written: ConsumedRecord.ReadFile(output).Count, Committed: kafka.CommittedOffsets(group, topic).Values.Sum(o => Math.Max(o, 0)))),
            progress => progress.Written >= BeforeStart + 500 && progress.Committed >= 1000, Within,
            $"the first run writing {BeforeStart + 500} records and committing 1000\n{first.Tail()}", TimeSpan.FromMilliseconds(20));
        await first.KillAsync();
        var committed = kafka.CommittedOffsets(group, topic);
        var firstRun = ConsumedRecord.ReadFile(output);
        await producing;

        await using var second = await PipelineProcess.StartAsync("kafka-kill", yaml, restartIn: first.Directory);
        var all = await Poll.LastAsync(() => Task.FromResult(ConsumedRecord.ReadFile(output)),
            written => written.Select(r => r.Id).Distinct().Count() >= Records, Within, TimeSpan.FromMilliseconds(100));

        var missing = Enumerable.Range(0, Records).Except(all.Select(r => r.Id)).ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {Records} records never reached the file (first: {string.Join(", ", missing.Take(10))}); " +
            $"committed at the kill: {Describe(committed)}; the first run wrote {firstRun.Count}\n{second.Tail()}");
        var beyondCommit = firstRun.Count(r => r.Offset >= committed[r.Partition]);
        var repeated = all.GroupBy(r => r.Id).Where(g => g.Count() > 1).Select(g => g.First()).ToList();
        var repeatedBelowCommit = repeated.Where(r => r.Offset < committed[r.Partition]).ToList();
        Assert.True(repeatedBelowCommit.Count == 0,
            $"{repeatedBelowCommit.Count} records below the committed offset were read again, such as partition {repeatedBelowCommit.FirstOrDefault()?.Partition} " +
            $"offset {repeatedBelowCommit.FirstOrDefault()?.Offset}; committed at the kill: {Describe(committed)}");
        var duplicates = all.Count - Records;
        Assert.True(duplicates <= beyondCommit,
            $"{duplicates} duplicate lines, more than the {beyondCommit} the first run wrote beyond the committed offsets {Describe(committed)}");
        Assert.Empty(second.DeadLetters());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"first run wrote {firstRun.Count}, {beyondCommit} of them beyond the commit at the kill ({Describe(committed)}); {duplicates} read again");
    }

    private static string Describe(IReadOnlyDictionary<int, long> offsets) =>
        string.Join(", ", offsets.OrderBy(o => o.Key).Select(o => $"{o.Key}:{o.Value}"));
}
