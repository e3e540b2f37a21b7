using System.Globalization;

namespace Pipeline.Topology;

/// <summary>One component of a <see cref="TopologySnapshot"/> with its counters at the time of the snapshot.</summary>
/// <param name="Kind"><c>source</c>, <c>processor</c> or <c>sink</c> (the <c>component_kind</c> metric label).</param>
/// <param name="State"><c>running</c>, <c>failed</c> or <c>finished</c>.</param>
/// <param name="Isolates">Isolates in the pool; 1 for sources.</param>
/// <param name="MailboxDepth">Envelopes waiting in the pool's mailboxes; 0 for sources.</param>
/// <param name="MailboxCapacity">Envelopes the pool's mailboxes hold at most, all isolates together; 0 for sources.</param>
/// <param name="ReceivedPerSecond">Live rate over the last few seconds (only in <see cref="RunningTopology.SnapshotWithRatesAsync"/>).</param>
/// <param name="SentPerSecond">Live rate of events sent on (sinks: delivered).</param>
/// <param name="ErrorsPerSecond">Live rate of errors of every type.</param>
/// <param name="P95Seconds">
/// Live P95: a processor's time per event (<c>pipeline_stage_duration_seconds</c>), a sink's ingest-to-delivery
/// latency (<c>pipeline_event_latency_seconds</c>); null for sources and when nothing was observed.
/// </param>
public sealed record TopologyNode(
    string Id,
    string Kind,
    string Type,
    string State,
    int Isolates,
    long Received,
    long Sent,
    long Errors,
    long Discarded,
    long DeadLettered,
    long MailboxDepth,
    double ReceivedPerSecond = 0,
    double SentPerSecond = 0,
    double ErrorsPerSecond = 0,
    double? P95Seconds = null,
    long MailboxCapacity = 0)
{
    /// <summary>Grafana node graph: the node's title.</summary>
    public string Title => Id;

    /// <summary>Grafana node graph: the main statistic, events sent per second.</summary>
    public string MainStat => string.Create(CultureInfo.InvariantCulture, $"{SentPerSecond:0.#} events/s");

    /// <summary>Grafana node graph: the secondary statistic, the P95 in milliseconds.</summary>
    public string SecondaryStat => P95Seconds is { } p95 ? string.Create(CultureInfo.InvariantCulture, $"p95 {p95 * 1000:0.###} ms") : "";
}
