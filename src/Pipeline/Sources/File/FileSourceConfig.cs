using System.Text.RegularExpressions;
using Pipeline.Components;
using Pipeline.Decoding;

namespace Pipeline.Sources.File;

/// <summary>Where to start in a file met for the first time (one with no checkpoint).</summary>
public enum ReadFrom
{
    Beginning,
    End,
}

/// <summary>How lines are framed: as they are, or as a container runtime writes them.</summary>
public enum FileFormat
{
    /// <summary>Each line is the message.</summary>
    Lines,

    /// <summary>CRI (containerd, CRI-O): <c>&lt;time&gt; &lt;stream&gt; &lt;P|F&gt; &lt;log&gt;</c>, partial lines joined per stream.</summary>
    Cri,

    /// <summary>Docker's json-file driver: <c>{"log","stream","time"}</c>, partial lines joined.</summary>
    DockerJson,
}

/// <summary>Which label the per-file metrics carry; more than <c>source</c> multiplies their series.</summary>
public enum FileMetricsScope
{
    /// <summary>One series per source (label <c>file_group=""</c>): bounded whatever the node runs.</summary>
    Source,

    /// <summary>One series per pod (<c>file_group="namespace/pod"</c>), from /var/log/containers names.</summary>
    Pod,

    /// <summary>One series per file path: only for a handful of files.</summary>
    File,
}

[Component("file", "Tails files matched by globs (container logs under /var/log/containers): follows rotation, checkpoints offsets once lines are acknowledged.")]
public sealed class FileSourceConfig : ISourceConfig
{
    [Option("Glob patterns of the files to read, absolute (`*`, `?`, `**` for any directories). Files that appear later are picked up.",
        Required = true, Example = "[/var/log/containers/*.log]")]
    public List<string> Include { get; set; } = [];

    [Option("Glob patterns of files not to read, even when include matches them.", Example = "[/var/log/containers/pipeline-*.log]")]
    public List<string> Exclude { get; set; } = [];

    [Option("Where to start in a file with no checkpoint that exists when the source starts: `beginning` or `end`. Files created later are read from their beginning.",
        Example = "end")]
    public ReadFrom ReadFrom { get; set; } = ReadFrom.Beginning;

    [Option("How lines are framed: `lines` (each line is the message), `cri` (containerd and CRI-O) or `docker_json` (Docker's json-file); container formats join partial lines before the checkpoint moves.",
        Example = "cri")]
    public FileFormat Format { get; set; } = FileFormat.Lines;

    [Option("Longest line (and longest joined partial or multi-line message); a longer one is cut here, marked `truncated: true` and counted.",
        Example = "64KiB")]
    public ByteSize MaxLineBytes { get; set; } = new(256 * 1024);

    [Option("The most files held open at once (1 to 65,536); beyond it, idle files are closed and reopened when they grow. A file must be open to be followed through a rotation.",
        Example = "256")]
    public int MaxOpenFiles { get; set; } = 1024;

    /// <summary>
    /// Each open file is a descriptor and a read buffer; 65,536 is a common per-process descriptor limit (Docker's and
    /// systemd's default), and a node has far fewer container logs than that.
    /// </summary>
    internal const int MaxOpenFilesLimit = 65_536;

    [Option("Multi-line merge: `start_pattern` (a regex; a line matching it starts a new message, others are appended to the current one) and `timeout` (flush an incomplete message after this long without a new line, default 1s).",
        Example = "{start_pattern: '^\\S', timeout: 2s}")]
    public Dictionary<string, string> Multiline { get; set; } = [];

    [Option("How often the globs are expanded again to find new, rotated and deleted files.", Example = "5s")]
    public TimeSpan GlobMinimumCooldown { get; set; } = TimeSpan.FromSeconds(1);

    [Option("How often acknowledged offsets are written to data_dir/checkpoints; after a crash, lines acknowledged since are read again.",
        Example = "5s")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Option("The host (node) name put on every event. Default: $K8S_NODE_NAME, else the machine name.", Example = "node-1")]
    public string? Host { get; set; }

    [Option("Key of a line's JSON (the message, after format) holding a W3C traceparent; a valid one becomes the event's trace parent. Empty: never look.",
        Example = "trace_parent")]
    public string TraceparentKey { get; set; } = "traceparent";

    [Option("Label of the per-file metrics: `source` (one series per source), `pod` (per namespace/pod) or `file` (per path).", Example = "pod")]
    public FileMetricsScope MetricsBy { get; set; } = FileMetricsScope.Source;

    public ISourceFactory Build(ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Include.Count == 0)
        {
            throw new ComponentBuildException("include", "expected at least one glob pattern such as /var/log/containers/*.log, found none");
        }
        foreach (var pattern in Include.Concat(Exclude))
        {
            if (!Path.IsPathRooted(pattern))
            {
                throw new ComponentBuildException(Include.Contains(pattern) ? "include" : "exclude",
                    $"expected an absolute glob pattern such as /var/log/containers/*.log, found '{pattern}'");
            }
        }
        if (MaxLineBytes.Bytes < 16 || MaxLineBytes.Bytes > 64L * 1024 * 1024)
        {
            throw new ComponentBuildException("max_line_bytes", $"expected a size between 16 bytes and 64MiB, found {MaxLineBytes.Bytes} bytes");
        }
        if (MaxOpenFiles is < 1 or > MaxOpenFilesLimit)
        {
            throw new ComponentBuildException("max_open_files", $"expected between 1 and {MaxOpenFilesLimit:N0}, found {MaxOpenFiles}");
        }
        if (GlobMinimumCooldown <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("glob_minimum_cooldown", $"expected a duration above 0, found {GlobMinimumCooldown}");
        }
        if (CheckpointInterval <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("checkpoint_interval", $"expected a duration above 0, found {CheckpointInterval}");
        }
        var settings = new FileSourceSettings(
            context.ComponentId,
            FileGlob.Create(Include, Exclude),
            ReadFrom,
            Format switch
            {
                FileFormat.Cri => ContainerLogFormat.Cri,
                FileFormat.DockerJson => ContainerLogFormat.DockerJson,
                _ => null,
            },
            (int)MaxLineBytes.Bytes,
            MaxOpenFiles,
            BuildMultiline(),
            GlobMinimumCooldown,
            CheckpointInterval,
            string.IsNullOrWhiteSpace(Host) ? DefaultHost() : Host,
            TraceparentKey,
            MetricsBy,
            new CheckpointStore(Path.Combine(context.DataDirectory, "checkpoints"), context.ComponentId));
        return new SourceFactory(() => new FileSource(settings)) { AcknowledgementsByDefault = true };
    }

    private MultilineSettings? BuildMultiline()
    {
        if (Multiline.Count == 0)
        {
            return null;
        }
        foreach (var key in Multiline.Keys)
        {
            if (key is not ("start_pattern" or "timeout"))
            {
                throw new ComponentBuildException("multiline", $"unknown key '{key}' (expected start_pattern, timeout)");
            }
        }
        if (!Multiline.TryGetValue("start_pattern", out var pattern) || string.IsNullOrEmpty(pattern))
        {
            throw new ComponentBuildException("multiline", "expected start_pattern, the regex of a line that starts a new message (such as '^\\S' or '^\\d{4}-')");
        }
        Regex start;
        try
        {
            start = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException ex)
        {
            throw new ComponentBuildException("multiline", $"start_pattern '{pattern}' is not a valid regex: {ex.Message}");
        }
        var timeout = TimeSpan.FromSeconds(1);
        if (Multiline.TryGetValue("timeout", out var timeoutText) && (!Config.DurationText.TryParse(timeoutText, out timeout) || timeout <= TimeSpan.Zero))
        {
            throw new ComponentBuildException("multiline", $"timeout: expected a duration above 0 such as 1s or 500ms, found '{timeoutText}'");
        }
        return new MultilineSettings(start, timeout);
    }

    private static string DefaultHost() =>
        Environment.GetEnvironmentVariable("K8S_NODE_NAME") is { Length: > 0 } node ? node : Environment.MachineName;
}

internal sealed record MultilineSettings(Regex StartPattern, TimeSpan Timeout);

internal sealed record FileSourceSettings(
    string ComponentId,
    FileGlob Glob,
    ReadFrom ReadFrom,
    ContainerLogFormat? Format,
    int MaxLineBytes,
    int MaxOpenFiles,
    MultilineSettings? Multiline,
    TimeSpan GlobCooldown,
    TimeSpan CheckpointInterval,
    string Host,
    string TraceparentKey,
    FileMetricsScope MetricsBy,
    CheckpointStore Checkpoints);
