namespace Pipeline.Processors.Kubernetes;

/// <summary>
/// One isolate's most recently seen log paths and what they parsed to (null: no container log path), most recent
/// first. A file source sends thousands of consecutive lines of one file, so the first entry almost always matches:
/// a hit compares bytes and allocates nothing.
/// </summary>
internal sealed class LogPathCache
{
    private readonly byte[][] _paths;
    private readonly ContainerLogPath?[] _parsed;
    private int _count;

    public LogPathCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _paths = new byte[capacity][];
        _parsed = new ContainerLogPath?[capacity];
    }

    public ContainerLogPath? Get(ReadOnlySpan<byte> path)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_paths[i].AsSpan().SequenceEqual(path))
            {
                var parsed = _parsed[i];
                if (i > 0)
                {
                    MoveToFront(i, _paths[i], parsed);
                }
                return parsed;
            }
        }
        ContainerLogPath.TryParse(path, out var result);
        // The least recently used entry falls off the end when full.
        _count = Math.Min(_count + 1, _paths.Length);
        MoveToFront(_count - 1, path.ToArray(), result);
        return result;
    }

    private void MoveToFront(int from, byte[] path, ContainerLogPath? parsed)
    {
        Array.Copy(_paths, 0, _paths, 1, from);
        Array.Copy(_parsed, 0, _parsed, 1, from);
        _paths[0] = path;
        _parsed[0] = parsed;
    }
}
