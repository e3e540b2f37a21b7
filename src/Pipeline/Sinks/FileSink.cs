using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sinks;

/// <summary>
/// Appends events as JSON lines to a file, rotating by size. A file only passes <c>max_size</c> when a single line
/// is longer than that. Lines collect in a private buffer and reach the file in chunks; <see cref="FlushAsync"/>
/// pushes out the rest.
/// </summary>
public sealed class FileSink : ISink
{
    private const int WriteThreshold = 64 * 1024;

    private readonly string _path;
    private readonly long _maxSize;
    private readonly int _maxFiles;
    private readonly JsonLinesBuffer _lines = new();
    private FileStream? _file;
    private long _fileLength;

    public FileSink(string path, long maxSize, int maxFiles)
    {
        _path = path;
        _maxSize = maxSize;
        _maxFiles = maxFiles;
    }

    public string Path => _path;

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
    {
        EnsureOpen();
        for (var i = 0; i < batch.Count; i++)
        {
            var lineLength = _lines.Append(batch[i]);
            var pending = _fileLength + _lines.Length;
            if (pending > _maxSize && pending - lineLength > 0)
            {
                // This line would push the file past max_size: what came before it fills this file, the line starts the next.
                await WriteToFileAsync(_lines.Written[..^lineLength], cancellationToken).ConfigureAwait(false);
                Rotate();
                await WriteToFileAsync(_lines.Written[^lineLength..], cancellationToken).ConfigureAwait(false);
                _lines.Clear();
            }
        }
        if (_lines.Length >= WriteThreshold)
        {
            await WriteToFileAsync(_lines.Written, cancellationToken).ConfigureAwait(false);
            _lines.Clear();
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_lines.Length > 0)
        {
            EnsureOpen();
            await WriteToFileAsync(_lines.Written, cancellationToken).ConfigureAwait(false);
            _lines.Clear();
        }
        if (_file is not null)
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
        }
    }

    private void EnsureOpen()
    {
        if (_file is not null)
        {
            return;
        }
        var directory = System.IO.Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        _file = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            // The JSON lines buffer already batches writes; a second buffer would only copy.
            BufferSize = 0,
        });
        _fileLength = _file.Length;
    }

    private async ValueTask WriteToFileAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        await _file!.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        _fileLength += bytes.Length;
    }

    private void Rotate()
    {
        _file!.Dispose();
        _file = null;
        if (_maxFiles == 1)
        {
            File.Delete(_path);
        }
        else
        {
            File.Delete(Rotated(_maxFiles - 1));
            for (var i = _maxFiles - 2; i >= 1; i--)
            {
                if (File.Exists(Rotated(i)))
                {
                    File.Move(Rotated(i), Rotated(i + 1));
                }
            }
            File.Move(_path, Rotated(1));
        }
        EnsureOpen();
    }

    private string Rotated(int generation) => $"{_path}.{generation}";
}
