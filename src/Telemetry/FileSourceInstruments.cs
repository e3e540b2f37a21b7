using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics of one file source. Per-file counters carry a <c>file_group</c> label whose values the source chooses
/// (<c>metrics_by</c>): "" for the whole source by default, so the series stay bounded on a node with thousands of
/// files; a pod or a path when asked, with the series removed when their last file goes.
/// </summary>
public sealed class FileSourceInstruments
{
    public const string FileGroupLabel = "file_group";

    private readonly string[] _labels;
    private readonly Counter _lines;
    private readonly Counter _bytes;
    private readonly Gauge _lag;
    private readonly Counter _rotations;
    private readonly Counter _truncations;
    private readonly Counter _truncatedLines;
    private readonly Gauge.Child _open;
    private readonly Gauge.Child _watched;
    private readonly Gauge.Child _stalled;
    private readonly Gauge.Child _checkpointAge;

    internal FileSourceInstruments(CollectorRegistry registry, string[] componentLabels, MetricCounter unreadLost, MetricCounter openFailures)
    {
        _labels = componentLabels;
        UnreadLost = unreadLost;
        OpenFailures = openFailures;
        // prometheus-net returns the existing family when one of the same name and labels is created again, so every
        // file source of a registry shares these.
        var factory = Metrics.WithCustomRegistry(registry);
        string[] component = [TelemetryNames.PipelineLabel, TelemetryNames.ComponentIdLabel, TelemetryNames.ComponentKindLabel];
        string[] group = [.. component, FileGroupLabel];
        _lines = factory.CreateCounter("pipeline_file_read_lines_total", "Lines a file source read (physical lines, before joining).", group);
        _bytes = factory.CreateCounter("pipeline_file_read_bytes_total", "Bytes a file source read and took as lines.", group);
        _lag = factory.CreateGauge("pipeline_file_lag_bytes", "Bytes written to files and not yet read: their sizes minus the read offsets.", group);
        _rotations = factory.CreateCounter("pipeline_file_rotations_total", "Files that left their path (renamed away or replaced by a new file) and were drained.", group);
        _truncations = factory.CreateCounter("pipeline_file_truncations_total", "Files found shorter than their read offset (copytruncate) and read again from 0.", group);
        _truncatedLines = factory.CreateCounter("pipeline_file_truncated_lines_total", "Lines longer than max_line_bytes, cut and marked truncated.", group);
        _open = factory.CreateGauge("pipeline_file_open_files", "Files a file source holds open (at most max_open_files).", component).WithLabels(componentLabels);
        _watched = factory.CreateGauge("pipeline_file_watched_files", "Files a file source follows, open or not.", component).WithLabels(componentLabels);
        _stalled = factory.CreateGauge("pipeline_file_stalled_files",
            "Files with unread bytes whose read offset has not moved for 30 seconds.", component).WithLabels(componentLabels);
        _checkpointAge = factory.CreateGauge("pipeline_file_checkpoint_age_seconds",
            "How long the persisted checkpoint has been behind what was read (0 when it covers every line read).", component).WithLabels(componentLabels);
        _open.Set(0);
        _watched.Set(0);
        _stalled.Set(0);
        _checkpointAge.Set(0);
    }

    /// <summary>Bytes of files that left their path while closed (max_open_files) before they were read to the end.</summary>
    public MetricCounter UnreadLost { get; }

    /// <summary>Attempts to open a matched file that failed (counted every time; logged once per path until it opens).</summary>
    public MetricCounter OpenFailures { get; }

    /// <summary>The per-file instruments of one group, bound once; call <see cref="RemoveGroup"/> when its last file goes.</summary>
    public FileGroupInstruments ForGroup(string group)
    {
        string[] labels = [.. _labels, group];
        return new FileGroupInstruments(
            new MetricCounter(_lines.WithLabels(labels)).Published(),
            new MetricCounter(_bytes.WithLabels(labels)).Published(),
            _lag.WithLabels(labels),
            new MetricCounter(_rotations.WithLabels(labels)).Published(),
            new MetricCounter(_truncations.WithLabels(labels)).Published(),
            new MetricCounter(_truncatedLines.WithLabels(labels)).Published());
    }

    public void RemoveGroup(string group)
    {
        string[] labels = [.. _labels, group];
        _lines.RemoveLabelled(labels);
        _bytes.RemoveLabelled(labels);
        _lag.RemoveLabelled(labels);
        _rotations.RemoveLabelled(labels);
        _truncations.RemoveLabelled(labels);
        _truncatedLines.RemoveLabelled(labels);
    }

    public void Update(int open, int watched, int stalled, double checkpointAgeSeconds)
    {
        _open.Set(open);
        _watched.Set(watched);
        _stalled.Set(stalled);
        _checkpointAge.Set(checkpointAgeSeconds);
    }
}

/// <summary>The per-file counters of one <c>file_group</c>, bound once.</summary>
public sealed class FileGroupInstruments
{
    private readonly Gauge.Child _lag;

    internal FileGroupInstruments(MetricCounter lines, MetricCounter bytes, Gauge.Child lag, MetricCounter rotations, MetricCounter truncations, MetricCounter truncatedLines)
    {
        Lines = lines;
        Bytes = bytes;
        _lag = lag;
        Rotations = rotations;
        Truncations = truncations;
        TruncatedLines = truncatedLines;
    }

    public MetricCounter Lines { get; }

    public MetricCounter Bytes { get; }

    public MetricCounter Rotations { get; }

    public MetricCounter Truncations { get; }

    public MetricCounter TruncatedLines { get; }

    public void SetLag(long bytes) => _lag.Set(bytes);
}
