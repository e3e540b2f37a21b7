using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics of one kafka source: consumer lag per assigned partition, commits and their latency, rebalances.
/// </summary>
/// <remarks>
/// The lag series carry <c>topic</c> and <c>partition</c>: a consumer holds a bounded set of partitions (at most the
/// topics' partition counts, in practice tens), and a partition's series is removed when it is revoked or lost, so
/// the series follow the assignment instead of growing with every partition the group ever moved.
/// </remarks>
public sealed class KafkaInstruments
{
    public const string TopicLabel = "topic";
    public const string PartitionLabel = "partition";

    private readonly string[] _labels;
    private readonly Gauge _lag;
    private readonly Histogram.Child _commitDuration;
    private readonly Counter.Child _commitsOk;
    private readonly Counter.Child _commitsFailed;
    private readonly Counter _rebalances;

    internal KafkaInstruments(CollectorRegistry registry, string[] componentLabels)
    {
        _labels = componentLabels;
        // prometheus-net returns the existing family when one of the same name and labels is created again, so every
        // kafka source of a registry shares these.
        var factory = Metrics.WithCustomRegistry(registry);
        string[] component = [TelemetryNames.PipelineLabel, TelemetryNames.ComponentIdLabel, TelemetryNames.ComponentKindLabel];
        _lag = factory.CreateGauge("pipeline_kafka_consumer_lag_records",
            "Records of an assigned partition not yet consumed: its high watermark minus the consumer's position.", [.. component, TopicLabel, PartitionLabel]);
        _commitDuration = factory.CreateHistogram("pipeline_kafka_commit_duration_seconds",
            "How long committing the offsets of acknowledged records took.", new HistogramConfiguration
            {
                LabelNames = component,
                Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
            }).WithLabels(componentLabels);
        var commits = factory.CreateCounter("pipeline_kafka_commits_total", "Offset commits, by result.", [.. component, "result"]);
        _commitsOk = commits.WithLabels([.. componentLabels, "ok"]);
        _commitsFailed = commits.WithLabels([.. componentLabels, "failed"]);
        _rebalances = factory.CreateCounter("pipeline_kafka_rebalances_total",
            "Partitions assigned to, revoked from or lost by this consumer in its group's rebalances.", [.. component, "event"]);
        foreach (var kind in new[] { "assigned", "revoked", "lost" })
        {
            _rebalances.WithLabels([.. componentLabels, kind]).Publish();
        }
        _commitsOk.Publish();
        _commitsFailed.Publish();
    }

    public void SetLag(string topic, int partition, long records)
        => _lag.WithLabels([.. _labels, topic, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)]).Set(records);

    /// <summary>The partition left this consumer: its series goes too.</summary>
    public void RemoveLag(string topic, int partition)
        => _lag.RemoveLabelled([.. _labels, topic, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    public void Committed(TimeSpan took)
    {
        _commitDuration.Observe(took.TotalSeconds);
        _commitsOk.Inc();
    }

    public void CommitFailed() => _commitsFailed.Inc();

    /// <param name="kind">assigned, revoked or lost.</param>
    public void Rebalanced(string kind, int partitions) => _rebalances.WithLabels([.. _labels, kind]).Inc(partitions);
}
