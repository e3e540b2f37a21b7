namespace Pipeline.Security;

/// <summary>
/// Calls back when any of a few small files (certificates, keys, token lists) changes, by reading them every
/// <see cref="Interval"/> and comparing their bytes with the last read.
/// </summary>
/// <remarks>
/// Polled on purpose, not watched with inotify: Kubernetes updates a mounted Secret by swapping a <c>..data</c>
/// symlink in the volume's root, which a watch on the file's own path never sees, and cert-manager writes the
/// certificate and its key as two files at slightly different times. Reading three files of a few kilobytes once a
/// second costs nothing measurable; a change is picked up within <see cref="Interval"/>. A file that cannot be
/// read (mid-swap) counts as unchanged until it can.
/// </remarks>
public sealed class PolledFiles : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly string[] _paths;
    private readonly byte[]?[] _last;
    private readonly Action _changed;
    private readonly ITimer _timer;
    private int _polling;

    /// <param name="changed">Runs on a timer thread after a change; must not throw.</param>
    public PolledFiles(IReadOnlyList<string> paths, Action changed, TimeProvider? time = null)
    {
        _paths = [.. paths];
        _last = [.. _paths.Select(TryRead)];
        _changed = changed;
        _timer = (time ?? TimeProvider.System).CreateTimer(_ => Poll(), null, Interval, Interval);
    }

    /// <summary>Reads the files now and calls back if any changed; the timer calls this.</summary>
    public void Poll()
    {
        // A slow callback must not overlap the next tick's.
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }
        try
        {
            var changed = false;
            for (var i = 0; i < _paths.Length; i++)
            {
                var now = TryRead(_paths[i]);
                if (now is not null && (_last[i] is null || !now.AsSpan().SequenceEqual(_last[i])))
                {
                    _last[i] = now;
                    changed = true;
                }
            }
            if (changed)
            {
                _changed();
            }
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    public void Dispose() => _timer.Dispose();

    private static byte[]? TryRead(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
