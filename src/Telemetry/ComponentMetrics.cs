using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// One component's counters, with their labels bound once, so the hot path increments a child directly instead of
/// looking labels up per event.
/// </summary>
public sealed class ComponentMetrics
{
    private readonly PipelineMetrics _owner;
    private readonly Counter _errors;
    private readonly Counter _discarded;
    private readonly string[] _labels;

    /// <summary>The component_kind label: source, processor or sink.</summary>
    public string ComponentKind { get; }

    internal ComponentMetrics(PipelineMetrics owner, string pipeline, string componentId, string componentKind)
    {
        _owner = owner;
        _labels = [pipeline, componentId, componentKind];
        ComponentId = componentId;
        ComponentKind = componentKind;
        Received = new(owner.ReceivedEvents.WithLabels(_labels));
        ReceivedBytes = new(owner.ReceivedBytes.WithLabels(_labels));
        Sent = new(owner.SentEvents.WithLabels(_labels));
        SentBytes = new(owner.SentBytes.WithLabels(_labels));
        DeadLettered = new(owner.DeadLetterEvents.WithLabels(_labels));
        Restarts = new(owner.IsolateRestarts.WithLabels(_labels));
        BatchSplits = new(owner.BatchSplits.WithLabels(_labels));
        _errors = owner.Errors;
        _discarded = owner.Discarded;
    }

    public string ComponentId { get; }

    public MetricCounter Received { get; }

    public MetricCounter ReceivedBytes { get; }

    public MetricCounter Sent { get; }

    public MetricCounter SentBytes { get; }

    public MetricCounter DeadLettered { get; }

    public MetricCounter Restarts { get; }

    /// <summary>A processor's whole-batch call that failed as a whole, retried in halves.</summary>
    public MetricCounter BatchSplits { get; }

    /// <summary>The counter of errors of one kind, such as <c>processing_failed</c>, <c>invalid_input</c> or
    /// <c>delivery_failed</c>, bound once so that callers cache the child.</summary>
    public MetricCounter ErrorCounter(string errorType) => new(_errors.WithLabels([.. _labels, errorType]));

    /// <summary>The counter of events dropped on purpose for one reason, such as <c>mailbox_full</c> or
    /// <c>dropped_by_processor</c>, bound once so that callers cache the child.</summary>
    public MetricCounter DiscardCounter(string reason) => new(_discarded.WithLabels([.. _labels, reason]));

    /// <summary>This component's authentication and TLS instruments (an http source's server, an http sink's client), by its id.</summary>
    public SecurityInstruments CreateSecurityInstruments() => _owner.ForSecurity(_labels[0], ComponentId);

    /// <summary>
    /// The latency histograms of a stage or sink, bound on first use (a source has none, so it publishes none):
    /// processing time per event (processors), mailbox wait, and ingest-to-delivery latency (sinks).
    /// </summary>
    public StageInstruments CreateStageInstruments(bool processor, bool sink) => new(
        processor ? _owner.StageDuration.WithLabels(_labels) : null,
        _owner.MailboxWait.WithLabels(_labels),
        sink ? _owner.EventLatency.WithLabels(_labels) : null,
        state => _owner.Isolates.WithLabels([.. _labels, state]));

    /// <summary>The instruments of this sink's buffer, bound once.</summary>
    /// <param name="disk">True for a disk buffer, false for a memory one (the buffer_type label).</param>
    public BufferInstruments CreateBufferInstruments(bool disk)
    {
        string[] labels = [.. _labels, disk ? "disk" : "memory"];
        return new BufferInstruments(
            _owner.BufferEvents.WithLabels(labels),
            disk ? _owner.BufferBytes.WithLabels(labels) : null,
            disk ? _owner.BufferMaxBytes.WithLabels(labels) : null,
            disk ? null : _owner.BufferMaxEvents.WithLabels(labels),
            new MetricCounter(_owner.BufferWrittenEvents.WithLabels(labels)),
            new MetricCounter(_owner.BufferWrittenBytes.WithLabels(labels)),
            new MetricCounter(_owner.BufferReadEvents.WithLabels(labels)),
            corruption => new MetricCounter(_owner.BufferCorruptRecords.WithLabels([.. labels, corruption])).Published());
    }

    /// <summary>The instruments of a file source (lines, lag, rotations, open files, checkpoint age), bound once.</summary>
    public FileSourceInstruments CreateFileSourceInstruments() =>
        new(_owner.Registry, _labels, ErrorCounter(FileUnreadLost).Published(), ErrorCounter(FileOpenFailed).Published());

    /// <summary>Error type: a file left its path while closed (max_open_files) before it was read to its end.</summary>
    public const string FileUnreadLost = "file_unread_lost";

    /// <summary>Error type: a file the globs match could not be opened (permissions, a dangling link); tried again at every expansion.</summary>
    public const string FileOpenFailed = "file_open_failed";

    /// <summary>The instruments of a kafka source (lag per partition, commits, rebalances), bound once.</summary>
    public KafkaInstruments CreateKafkaInstruments() => new(_owner.Registry, _labels);

    /// <summary>The instruments of an otlp sink (records its receiver rejected in part), bound once.</summary>
    public OtlpSinkInstruments CreateOtlpSinkInstruments() => new(_owner.Registry, _labels);

    /// <summary>The instruments of a script stage (limits exceeded, reloads of its file), bound once.</summary>
    public ScriptInstruments CreateScriptInstruments() => new(_owner.Registry, _labels);

    /// <summary>The instruments of a loki sink (label values over the cardinality bound), bound once.</summary>
    public LokiInstruments CreateLokiInstruments() => new(_owner.Registry, _labels);

    /// <summary>The instruments of a kubernetes enricher stage, bound once.</summary>
    public LogToMetricInstruments CreateLogToMetricInstruments() => new(_owner, _labels);

    public KubernetesInstruments CreateKubernetesInstruments() => new(
        new MetricCounter(_owner.KubernetesUnmatchedPaths.WithLabels(_labels)).Published(),
        _owner.KubernetesCachedPods.WithLabels(_labels),
        new MetricCounter(_owner.KubernetesEvictedPods.WithLabels(_labels)).Published(),
        reason => new MetricCounter(_owner.KubernetesApiErrors.WithLabels([.. _labels, reason])).Published());

    /// <summary>
    /// The gauges and latency recorders of one isolate of this stage, bound once; its mailbox capacity is set here.
    /// </summary>
    public IsolateInstruments CreateIsolateInstruments(int isolate, int mailboxCapacity, StageInstruments stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        string[] labels = [.. _labels, isolate.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        _owner.MailboxCapacity.WithLabels(labels).Set(mailboxCapacity);
        return new IsolateInstruments(_owner.MailboxEvents.WithLabels(labels), _owner.IsolateUtilization.WithLabels(labels), stage);
    }
}
