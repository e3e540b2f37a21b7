using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Telemetry;

namespace Pipeline.Sources.File;

/// <summary>
/// Tails the files the globs match, one reading loop for all of them: expand the globs every cooldown (new, rotated,
/// deleted and copy-truncated files), read each file with new bytes one chunk at a time in turn, send its lines with
/// one acknowledgement batch per chunk, move each file's committed offset as its batches complete in order, and
/// write the checkpoints every interval. Split by job: this file holds the loop and the files' life (finding,
/// opening, rotating, letting go), FileSource.Lines.cs the lines and events.
/// </summary>
/// <remarks>
/// Polling, not inotify: a read at the end of a file costs a syscall that returns 0, and inotify sees neither writes
/// through the /var/log/containers symlinks nor files on every filesystem. An idle loop sleeps <see cref="IdleWait"/>.
/// </remarks>
internal sealed partial class FileSource(FileSourceSettings settings) : ISource
{
    /// <summary>How long an idle loop sleeps before looking for new bytes again: the added latency when a file is idle.</summary>
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(100);

    /// <summary>How long one send waits for room downstream before the loop does its upkeep and tries again.</summary>
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(1);

    /// <summary>A file with unread bytes whose read offset has not moved this long counts as stalled.</summary>
    private static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(30);

    /// <summary>A file read this many chunks in a row yields its handle to files waiting for one (max_open_files).</summary>
    private const int ReadsBeforeYield = 16;

    /// <summary>After a stop, how long the source waits for sent lines to be acknowledged so the last checkpoint covers them.</summary>
    private static readonly TimeSpan FinalAcknowledgementWait = TimeSpan.FromSeconds(10);

    private readonly List<WatchedFile> _files = [];
    private readonly Dictionary<FileKey, WatchedFile> _byKey = [];
    private readonly Dictionary<string, (FileGroupInstruments Instruments, int Files)> _groups = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unreadable = new(StringComparer.Ordinal);
    private Dictionary<FileKey, FileCheckpoint>? _resumable;
    private ISourceContext _context = null!;
    private FileSourceInstruments _instruments = null!;
    private int _openFiles;
    private int _nextFile;
    private bool _checkpointDirty;
    private long _lastPersist;
    private long _checkpointBehindSince;

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _instruments = context.Metrics.CreateFileSourceInstruments();
        _resumable = settings.Checkpoints.Load().ToDictionary(c => c.Key);
        context.Logger.Information("{ComponentId} follows {Patterns}; {Checkpoints} checkpoints in {CheckpointFile}",
            settings.ComponentId, settings.Glob.Description, _resumable.Count, settings.Checkpoints.FilePath);
        var firstScan = true;
        var nextScan = 0L;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= nextScan)
                {
                    Scan(firstScan);
                    firstScan = false;
                    nextScan = now + (long)(settings.GlobCooldown.TotalSeconds * Stopwatch.Frequency);
                }
                var progressed = false;
                if (!context.MemoryLimited)
                {
                    progressed = await ReadRoundAsync(stopping).ConfigureAwait(false);
                }
                if (!stopping.IsCancellationRequested)
                {
                    await FlushTimedOutAsync(stopping).ConfigureAwait(false);
                }
                CommitAndPersist(force: false);
                if (!progressed)
                {
                    await Task.Delay(IdleWait, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One turn: a chunk from every open file with new bytes, opening waiting files as handles allow.</summary>
    private async ValueTask<bool> ReadRoundAsync(CancellationToken stopping)
    {
        var progressed = false;
        var count = _files.Count;
        for (var i = 0; i < count && !stopping.IsCancellationRequested; i++)
        {
            var file = _files[(_nextFile + i) % count];
            if (file.Handle is null && (file.Lag == 0 || !TryOpen(file)))
            {
                continue;
            }
            var read = await ReadChunkAsync(file, stopping).ConfigureAwait(false);
            progressed |= read;
            if (!read && file.Gone && !file.Drained && file.AtEnd && file.GoneScans >= 2)
            {
                await DrainAsync(file, stopping).ConfigureAwait(false);
            }
        }
        _nextFile = count == 0 ? 0 : (_nextFile + 1) % count;
        RemoveFinished();
        return progressed;
    }

    /// <summary>Expands the globs: adds new files, follows renames, notices copytruncate, marks files that left.</summary>
    private void Scan(bool startup)
    {
        var seen = new HashSet<FileKey>();
        foreach (var path in settings.Glob.Expand())
        {
            if (!FileKey.TryStat(path, out var key, out var size) || !seen.Add(key))
            {
                continue;
            }
            if (_byKey.TryGetValue(key, out var file))
            {
                if (!string.Equals(file.Path, path, StringComparison.Ordinal))
                {
                    file.MovedTo(path);
                }
                file.Gone = false;
                file.GoneScans = 0;
                file.Drained = false;
                Resized(file, size);
                continue;
            }
            Discover(path, key, size, startup);
        }
        foreach (var file in _files)
        {
            if (!seen.Contains(file.Key))
            {
                LeftItsPath(file);
            }
        }
        if (startup && _resumable is { Count: > 0 })
        {
            _context.Logger.Information("{ComponentId}: {Count} checkpointed files are gone; their checkpoints are dropped", settings.ComponentId, _resumable.Count);
            _checkpointDirty = true;
        }
        _resumable = null;
        UpdateGauges();
    }

    private void Resized(WatchedFile file, long size)
    {
        if (size < file.ReadOffset)
        {
            // Copytruncate: the writer keeps its file and it starts over. Whatever it wrote past our offset before
            // the copy is in the copy, which no glob should match (exclude the .1 files), as with any tailer.
            file.Metrics.Truncations.Inc();
            _context.Logger.Information("{ComponentId}: {Path} was truncated ({Size} bytes, read to {Offset}); reading it again from the start",
                settings.ComponentId, file.Path, size, file.ReadOffset);
            file.Restart();
            file.AtEnd = false;
            _checkpointDirty = true;
        }
        file.Size = size;
        if (!file.Fingerprint.IsComplete && size > file.Fingerprint.Length && file.Handle is not null)
        {
            file.Fingerprint = FileFingerprint.Read(file.Handle);
            _checkpointDirty = true;
        }
    }

    /// <summary>A file met for the first time: resumed from its checkpoint when one names it, else read from the start (or end).</summary>
    private void Discover(string path, FileKey key, long size, bool startup)
    {
        if (_openFiles >= settings.MaxOpenFiles && !CloseIdleFile())
        {
            // Its first bytes must be read to know it: every handle is busy, so the next expansion tries again.
            return;
        }
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _instruments.OpenFailures.Inc();
            if (_unreadable.Add(path))
            {
                _context.Logger.Warning("{ComponentId}: cannot open {Path}: {Reason}; trying again at every expansion", settings.ComponentId, path, ex.Message);
            }
            return;
        }
        if (!FileKey.TryStat(handle, out var openedKey, out size, out _) || openedKey != key)
        {
            // Replaced between stat and open: the next expansion meets the new one.
            handle.Dispose();
            return;
        }
        _unreadable.Remove(path);
        long offset = 0;
        if (_resumable is not null && _resumable.Remove(key, out var checkpoint))
        {
            if (checkpoint.Fingerprint.Matches(handle))
            {
                offset = checkpoint.Offset <= size ? checkpoint.Offset : 0;
            }
            else
            {
                _context.Logger.Information("{ComponentId}: {Path} has the inode of checkpointed {OldPath} but other first bytes: a new file, read from the start",
                    settings.ComponentId, path, checkpoint.Path);
            }
        }
        else if (startup && settings.ReadFrom == ReadFrom.End)
        {
            offset = size;
        }
        var group = GroupOf(path);
        var file = new WatchedFile(path, key, FileFingerprint.Read(handle), offset, Bind(group), group)
        {
            Size = size,
            LastProgress = Stopwatch.GetTimestamp(),
            Decoder = settings.Format is { } format ? new ContainerLogDecoder(format, settings.MaxLineBytes) : null,
            Group = settings.Multiline is null ? null : new MultilineGroup(settings.MaxLineBytes),
        };
        _files.Add(file);
        _byKey.Add(key, file);
        _checkpointDirty = true;
        if (_openFiles < settings.MaxOpenFiles)
        {
            file.Handle = handle;
            _openFiles++;
        }
        else
        {
            handle.Dispose();
        }
    }

    /// <summary>No included path names the file now: it was renamed away (rotation) or deleted.</summary>
    private void LeftItsPath(WatchedFile file)
    {
        if (!file.Gone)
        {
            file.Gone = true;
            if (file.Handle is not null && FileKey.TryStat(file.Handle, out _, out var size, out var linked))
            {
                file.Size = size;
                if (linked)
                {
                    file.Metrics.Rotations.Inc();
                }
            }
            else if (file.Handle is null && file.Lag > 0)
            {
                // Closed for max_open_files and renamed or deleted before its turn came: its tail cannot be reached.
                _instruments.UnreadLost.Inc(file.Lag);
                _context.Logger.Warning("{ComponentId}: {Path} left its path while closed (max_open_files {Max}) with {Bytes} bytes unread; they are lost",
                    settings.ComponentId, file.Path, settings.MaxOpenFiles, file.Lag);
                file.Size = file.ReadOffset;
            }
        }
        else if (file.Handle is not null && FileKey.TryStat(file.Handle, out _, out var size, out _))
        {
            file.Size = size;
        }
        file.GoneScans++;
    }

    /// <summary>Opens a closed file that has new bytes, closing an idle one first when max_open_files is reached.</summary>
    private bool TryOpen(WatchedFile file)
    {
        if (file.Gone)
        {
            return false;
        }
        if (_openFiles >= settings.MaxOpenFiles && !CloseIdleFile())
        {
            return false;
        }
        try
        {
            var handle = System.IO.File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (!FileKey.TryStat(handle, out var key, out var size, out _) || key != file.Key || !file.Fingerprint.Matches(handle))
            {
                // The path names another file now; the next expansion sorts out which.
                handle.Dispose();
                return false;
            }
            file.Handle = handle;
            file.Size = size;
            _openFiles++;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Closes the open file that is at its end (or has had its share of reads) and was read least recently.</summary>
    private bool CloseIdleFile()
    {
        WatchedFile? victim = null;
        foreach (var file in _files)
        {
            if (file.Handle is not null && !file.Gone && (file.AtEnd || file.ReadsSinceOpen >= ReadsBeforeYield)
                && (victim is null || file.LastProgress < victim.LastProgress))
            {
                victim = file;
            }
        }
        if (victim is null)
        {
            return false;
        }
        victim.Close();
        _openFiles--;
        return true;
    }

    /// <summary>Lets go of files that left their path, were read to the end and whose last chunk is acknowledged.</summary>
    private void RemoveFinished()
    {
        for (var i = _files.Count - 1; i >= 0; i--)
        {
            var file = _files[i];
            if (!file.Gone || file.GoneScans < 2 || file.Lag > 0 || (file.Handle is not null && !file.AtEnd) || file.Pending.Count > 0)
            {
                continue;
            }
            if (file.Handle is not null)
            {
                file.Close();
                _openFiles--;
            }
            _files.RemoveAt(i);
            _byKey.Remove(file.Key);
            Unbind(file.MetricsGroup);
            _checkpointDirty = true;
        }
    }

    private void CommitAndPersist(bool force)
    {
        foreach (var file in _files)
        {
            if (file.CommitAcknowledged() || file.CommittedOffset != file.PersistedOffset)
            {
                _checkpointDirty = true;
            }
        }
        var now = Stopwatch.GetTimestamp();
        if (!_checkpointDirty || (!force && Stopwatch.GetElapsedTime(_lastPersist, now) < settings.CheckpointInterval))
        {
            return;
        }
        try
        {
            settings.Checkpoints.Save(_files.Select(f => f.ToCheckpoint()).ToList());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _context.Logger.Error(ex, "{ComponentId}: could not write checkpoints to {CheckpointFile}; trying again", settings.ComponentId, settings.Checkpoints.FilePath);
            return;
        }
        _lastPersist = now;
        _checkpointDirty = false;
        foreach (var file in _files)
        {
            file.PersistedOffset = file.CommittedOffset;
        }
    }

    /// <summary>Upkeep while a send waits for room: sizes of open files (for the lag), commits, checkpoints, gauges.</summary>
    private void MaintainWhileBlocked()
    {
        foreach (var file in _files)
        {
            if (file.Handle is not null && FileKey.TryStat(file.Handle, out _, out var size, out _) && size > file.Size)
            {
                file.Size = size;
            }
        }
        CommitAndPersist(force: false);
        UpdateGauges();
    }

    private void UpdateGauges()
    {
        var behind = false;
        var stalled = 0;
        var now = Stopwatch.GetTimestamp();
        foreach (var file in _files)
        {
            behind |= file.PersistedOffset != file.ReadOffset;
            if (file.Lag > 0 && Stopwatch.GetElapsedTime(file.LastProgress, now) >= StallAfter)
            {
                stalled++;
            }
        }
        if (!behind)
        {
            _checkpointBehindSince = now;
        }
        var lag = new Dictionary<string, long>(_groups.Count, StringComparer.Ordinal);
        foreach (var file in _files)
        {
            lag[file.MetricsGroup] = lag.GetValueOrDefault(file.MetricsGroup) + file.Lag;
        }
        foreach (var (group, bound) in _groups)
        {
            bound.Instruments.SetLag(lag.GetValueOrDefault(group));
        }
        _instruments.Update(_openFiles, _files.Count, stalled, behind ? Stopwatch.GetElapsedTime(_checkpointBehindSince, now).TotalSeconds : 0);
    }

    /// <summary>After the stop: waits (bounded) for what was sent to be acknowledged, writes the last checkpoint, closes every file.</summary>
    private async Task FinishAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(FinalAcknowledgementWait.TotalSeconds * Stopwatch.Frequency);
        while (_files.Any(f => f.Pending.Count > 0) && Stopwatch.GetTimestamp() < deadline)
        {
            var heads = _files.Where(f => f.Pending.Count > 0).Select(f => f.Pending.Last().Batch.Completion).ToArray();
            await Task.WhenAny(Task.WhenAll(heads), Task.Delay(TimeSpan.FromMilliseconds(50))).ConfigureAwait(false);
            foreach (var file in _files)
            {
                file.CommitAcknowledged();
            }
        }
        CommitAndPersist(force: true);
        foreach (var file in _files)
        {
            file.Close();
        }
        _openFiles = 0;
        UpdateGauges();
    }

    private string GroupOf(string path) => settings.MetricsBy switch
    {
        FileMetricsScope.File => path,
        FileMetricsScope.Pod => PodOf(path),
        _ => "",
    };

    /// <summary>namespace/pod from a /var/log/containers name (&lt;pod&gt;_&lt;namespace&gt;_&lt;container&gt;-&lt;id&gt;.log); else the path.</summary>
    private static string PodOf(string path)
    {
        var parts = Path.GetFileName(path).Split('_');
        return parts.Length == 3 ? parts[1] + "/" + parts[0] : path;
    }

    private FileGroupInstruments Bind(string group)
    {
        if (_groups.TryGetValue(group, out var bound))
        {
            _groups[group] = (bound.Instruments, bound.Files + 1);
            return bound.Instruments;
        }
        var instruments = _instruments.ForGroup(group);
        _groups[group] = (instruments, 1);
        return instruments;
    }

    private void Unbind(string group)
    {
        var bound = _groups[group];
        if (bound.Files > 1 || settings.MetricsBy == FileMetricsScope.Source)
        {
            _groups[group] = (bound.Instruments, Math.Max(1, bound.Files - 1));
            return;
        }
        _groups.Remove(group);
        _instruments.RemoveGroup(group);
    }
}
