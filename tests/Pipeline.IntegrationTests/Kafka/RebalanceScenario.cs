using System.Text.RegularExpressions;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests.Kafka;

/// <summary>
/// Two kafka → file processes in one consumer group while records flow, against any cluster: the second joining takes
/// partitions from the first, the first stopping with SIGTERM hands its partitions over, and between their two files
/// no record is missing.
/// </summary>
internal static partial class RebalanceScenario
{
    private const int BeforeStart = 2000;
    private const int Chunk = 100;
    private const int AfterLeaving = 400;

    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(KafkaBackend kafka, string topic)
    {
        var group = $"it-rebalance-{Guid.NewGuid():N}";
        var yaml = KafkaTopologies.Consumer("rebalance", kafka.BootstrapServers, group, topic);
        await kafka.ProduceAsync(topic, 0, BeforeStart);
        var partitions = kafka.Partitions(topic);
        Assert.True(partitions.Count >= 2, $"topic {topic} has {partitions.Count} partition: nothing to share between two members");

        await using var leaving = await PipelineProcess.StartAsync("kafka-leaving", yaml);
        var leavingOutput = Path.Combine(leaving.DataDirectory, KafkaTopologies.OutputFile);
        // Records keep arriving until the first member has left, however long the second takes to start and join:
        // both members, and the hand-overs between them, see records in flight.
        using var stop = new CancellationTokenSource();
        var producing = Task.Run(async () =>
        {
            var from = BeforeStart;
            for (; !stop.IsCancellationRequested; from += Chunk)
            {
                await kafka.ProduceAsync(topic, from, Chunk);
                await Task.Delay(TimeSpan.FromMilliseconds(30), TestContext.Current.CancellationToken);
            }
            return from;
        }, TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => Task.FromResult(ConsumedRecord.ReadFile(leavingOutput).Count), count => count >= 500, Within,
            $"the first member writing 500 records\n{leaving.Tail()}", TimeSpan.FromMilliseconds(20));

        await using var joining = await PipelineProcess.StartAsync("kafka-joining", yaml);
        var joiningOutput = Path.Combine(joining.DataDirectory, KafkaTopologies.OutputFile);
        // The rebalance gave the second member partitions of its own: it writes records while the first still runs.
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(ConsumedRecord.ReadFile(joiningOutput).Count), count => count >= 100, Within,
                "the joining member writing records of its own partitions", TimeSpan.FromMilliseconds(20));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nthe first member's Kafka metrics:\n{await KafkaMetricsAsync(leaving)}\n" +
                $"the second's:\n{await KafkaMetricsAsync(joining)}\n{joining.Tail()}\n{leaving.Tail()}", ex);
        }
        var revokedFromLeaving = await RebalancesAsync(leaving, "revoked");

        var exitCode = await leaving.StopAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        var records = await producing;
        // Produced after the first left: only the second can read them, so they show it took over every partition.
        await kafka.ProduceAsync(topic, records, AfterLeaving);
        var written = await Poll.LastAsync(
            () => Task.FromResult(ConsumedRecord.ReadFile(leavingOutput).Concat(ConsumedRecord.ReadFile(joiningOutput)).ToList()),
            all => all.Select(r => r.Id).Distinct().Count() >= records + AfterLeaving, Within, TimeSpan.FromMilliseconds(100));

        Assert.Equal(0, exitCode);
        Assert.True(revokedFromLeaving >= 1, $"the first member counted no revoke when the second joined\n{leaving.Tail()}");
        var missing = Enumerable.Range(0, records + AfterLeaving).Except(written.Select(r => r.Id)).ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {records + AfterLeaving} records in neither file (first: {string.Join(", ", missing.Take(10))}); " +
            $"committed: {string.Join(", ", kafka.CommittedOffsets(group, topic).Select(o => $"{o.Key}:{o.Value}"))}\n{joining.Tail()}");
        var lateByPartition = ConsumedRecord.ReadFile(joiningOutput).Where(r => r.Id >= records).Select(r => r.Partition).ToHashSet();
        Assert.Equal(partitions, lateByPartition.Order());
        Assert.Empty(leaving.DeadLetters());
        Assert.Empty(joining.DeadLetters());
    }

    /// <summary>Its pipeline_kafka_* series, to say where a rebalance stands.</summary>
    private static async Task<string> KafkaMetricsAsync(PipelineProcess pipeline)
    {
        var metrics = await pipeline.Admin.GetStringAsync("metrics", TestContext.Current.CancellationToken);
        return string.Join('\n', metrics.Split('\n').Where(line => line.StartsWith("pipeline_kafka_", StringComparison.Ordinal) && !line.Contains("_bucket", StringComparison.Ordinal)));
    }

    /// <summary>pipeline_kafka_rebalances_total{event=…} of its kafka source, from its admin /metrics.</summary>
    private static async Task<double> RebalancesAsync(PipelineProcess pipeline, string rebalanceEvent)
    {
        var metrics = await pipeline.Admin.GetStringAsync("metrics", TestContext.Current.CancellationToken);
        return RebalanceSeries().Matches(metrics)
            .Where(m => m.Groups["labels"].Value.Contains($"event=\"{rebalanceEvent}\"", StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^pipeline_kafka_rebalances_total\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex RebalanceSeries();
}
