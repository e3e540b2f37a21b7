namespace Pipeline.Processors.Script;

/// <summary>
/// Watches a script file and hands its new text on when it changes. The whole directory is watched, not the file: a
/// Kubernetes ConfigMap volume replaces a file by swapping a symlink (..data), which never touches the file's own name.
/// Bursts of events (an editor writes, truncates, renames) are settled by reading once a short quiet time after the last.
/// </summary>
internal sealed class ScriptFileWatch : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private readonly string _path;
    private readonly Action<string> _changed;
    private readonly Serilog.ILogger _logger;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _settle;

    public ScriptFileWatch(string path, Action<string> changed, Serilog.ILogger logger)
    {
        _path = Path.GetFullPath(path);
        _changed = changed;
        _logger = logger;
        _settle = new Timer(static state => ((ScriptFileWatch)state!).ReadNow(), this, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            IncludeSubdirectories = false,
        };
        _watcher.Changed += OnEvent;
        _watcher.Created += OnEvent;
        _watcher.Renamed += OnEvent;
        _watcher.Deleted += OnEvent;
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _settle.Dispose();
    }

    private void OnEvent(object sender, FileSystemEventArgs e) => _settle.Change(Settle, Timeout.InfiniteTimeSpan);

    private void ReadNow()
    {
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone or half-replaced: the running script stays; the next change is read again.
            _logger.Warning("The script file {File} could not be read after it changed ({Reason}); the running script stays", _path, ex.Message);
            return;
        }
        try
        {
            _changed(text);
        }
        catch (Exception ex)
        {
            _logger.Error(ex, "Applying the changed script file {File} failed; the running script stays", _path);
        }
    }
}
