using Pipeline.Components;

namespace Pipeline.Sinks;

public sealed class FileSinkFactory : ISinkFactory
{
    private readonly string _path;
    private readonly long _maxSize;
    private readonly int _maxFiles;

    public FileSinkFactory(FileSinkOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new ComponentBuildException("path", "expected a file path, found an empty string");
        }
        try
        {
            _path = System.IO.Path.GetFullPath(options.Path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ComponentBuildException("path", $"expected a valid file path, found '{options.Path}': {ex.Message}", ex);
        }
        if (Directory.Exists(_path))
        {
            throw new ComponentBuildException("path", $"expected a file path, found the directory '{_path}'");
        }
        if (options.MaxSize.Bytes <= 0)
        {
            throw new ComponentBuildException("max_size", $"expected a size above 0, found {options.MaxSize.Bytes} bytes");
        }
        if (options.MaxFiles < 1)
        {
            throw new ComponentBuildException("max_files", $"expected at least 1 (the active file), found {options.MaxFiles}");
        }
        _maxSize = options.MaxSize.Bytes;
        _maxFiles = options.MaxFiles;
    }

    /// <summary>The full path of the file the isolate writes to (see the path option).</summary>
    public string PathForIsolate(int isolateIndex)
    {
        if (isolateIndex == 0)
        {
            return _path;
        }
        // Two isolates appending to one file would interleave partial writes and fight over rotation.
        var directory = System.IO.Path.GetDirectoryName(_path) ?? "";
        var name = System.IO.Path.GetFileNameWithoutExtension(_path);
        var extension = System.IO.Path.GetExtension(_path);
        return System.IO.Path.Combine(directory, $"{name}-{isolateIndex}{extension}");
    }

    public ISink CreateForIsolate(int isolateIndex) => new FileSink(PathForIsolate(isolateIndex), _maxSize, _maxFiles);
}
