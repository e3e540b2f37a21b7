using System.Text;
using Microsoft.Win32.SafeHandles;
using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Telemetry;

namespace Pipeline.Sources.File;

/// <summary>
/// One file the source follows: its identity, its handle (when open), how far it was read and how far that is
/// acknowledged, and the lines it holds back (a partial container line, a multi-line message in progress). Owned by
/// the source's one reading loop: no locks.
/// </summary>
internal sealed class WatchedFile(string path, FileKey key, FileFingerprint fingerprint, long offset, FileGroupInstruments metrics, string metricsGroup)
{
    public string Path { get; private set; } = path;

    /// <summary>The path as UTF-8, written on every event of this file.</summary>
    public byte[] PathUtf8 { get; private set; } = Encoding.UTF8.GetBytes(path);

    public FileKey Key { get; } = key;

    public FileFingerprint Fingerprint { get; set; } = fingerprint;

    public SafeFileHandle? Handle { get; set; }

    /// <summary>The next byte to read: the start of the first line not yet taken (a line's unfinished end is read again).</summary>
    public long ReadOffset { get; set; } = offset;

    /// <summary>Every byte before it is delivered, durably buffered or dead-lettered: what the checkpoint says.</summary>
    public long CommittedOffset { get; set; } = offset;

    /// <summary>The offset the checkpoint file holds for this file; -1 when it holds none yet.</summary>
    public long PersistedOffset { get; set; } = -1;

    /// <summary>The size the last stat saw.</summary>
    public long Size { get; set; }

    /// <summary>No included path names this file any more (renamed away or deleted): it is drained, then let go.</summary>
    public bool Gone { get; set; }

    /// <summary>Expansions since the file was found gone: it is let go at its end once a whole cooldown passed without growth.</summary>
    public int GoneScans { get; set; }

    /// <summary>Gone and read to its end: its unfinished last line and held-back lines went out; it waits for their acknowledgement.</summary>
    public bool Drained { get; set; }

    /// <summary>The last read found no new complete line.</summary>
    public bool AtEnd { get; set; }

    /// <summary>Inside a line longer than max_line_bytes whose start was already sent: skip to its newline.</summary>
    public bool SkippingLongLine { get; set; }

    /// <summary>When <see cref="ReadOffset"/> last moved (Stopwatch ticks): a file with lag and no progress is stalled.</summary>
    public long LastProgress { get; set; }

    /// <summary>Reads since it was opened, so a busy file yields its handle to waiting ones under max_open_files.</summary>
    public int ReadsSinceOpen { get; set; }

    /// <summary>Chunks sent with acknowledgements, oldest first, each with the offset that is safe once it completes.</summary>
    public Queue<(SourceBatch Batch, long SafeOffset)> Pending { get; } = new();

    /// <summary>The container-runtime decoder of this file (partial lines are per file and stream).</summary>
    public ContainerLogDecoder? Decoder { get; set; }

    /// <summary>Offset of the first line a partial container line holds back; -1 when none is.</summary>
    public long DecoderPendingSince { get; set; } = -1;

    /// <summary>The multi-line message in progress, when multiline is set.</summary>
    public MultilineGroup? Group { get; set; }

    public FileGroupInstruments Metrics { get; } = metrics;

    public string MetricsGroup { get; } = metricsGroup;

    /// <summary>The offset from which nothing is held back: the start of whatever a restart must read again.</summary>
    public long SafeOffset
    {
        get
        {
            var safe = ReadOffset;
            if (DecoderPendingSince >= 0)
            {
                safe = Math.Min(safe, DecoderPendingSince);
            }
            if (Group is { HasContent: true } group)
            {
                safe = Math.Min(safe, group.Offset);
            }
            return safe;
        }
    }

    public long Lag => Math.Max(0, Size - ReadOffset);

    public void MovedTo(string newPath)
    {
        Path = newPath;
        PathUtf8 = Encoding.UTF8.GetBytes(newPath);
    }

    public void Close()
    {
        Handle?.Dispose();
        Handle = null;
        ReadsSinceOpen = 0;
    }

    /// <summary>Settles acknowledged chunks in order; true when the committed offset moved.</summary>
    public bool CommitAcknowledged()
    {
        var moved = false;
        while (Pending.TryPeek(out var head) && head.Batch.Completion.IsCompleted)
        {
            Pending.Dequeue();
            CommittedOffset = head.SafeOffset;
            moved = true;
        }
        return moved;
    }

    /// <summary>Copy-truncated: everything held for the old content is void and reading starts over at 0.</summary>
    public void Restart()
    {
        Pending.Clear();
        ReadOffset = 0;
        CommittedOffset = 0;
        SkippingLongLine = false;
        DecoderPendingSince = -1;
        while (Decoder is not null && Decoder.TryFlush(out _))
        {
        }
        Group?.Clear();
    }

    public FileCheckpoint ToCheckpoint() => new(Path, Key, Fingerprint, CommittedOffset);
}
