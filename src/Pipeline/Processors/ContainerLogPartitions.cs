using System.Text;
using Pipeline.Decoding;

namespace Pipeline.Processors;

/// <summary>
/// One <see cref="ContainerLogDecoder"/> per partition (the file a line came from), at most <c>capacity</c> of them,
/// evicting the least recently used. An evicted decoder's pending pieces are lost: a file silent for that long
/// while thousands of others were written to has most likely been rotated away.
/// </summary>
/// <remarks>Lines arrive in runs from one file, so the last partition is checked first by comparing UTF-8 bytes;
/// other hits look the dictionary up by a char span. Only a new partition allocates (its key string and decoder).</remarks>
internal sealed class ContainerLogPartitions
{
    private readonly ContainerLogFormat _format;
    private readonly int _maxMergedLineBytes;
    private readonly int _capacity;

    // Every entry is in both: the dictionary finds it, the list orders it by last use (most recent first).
    private readonly Dictionary<string, LinkedListNode<Partition>> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedListNode<Partition>>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly LinkedList<Partition> _recency = new();

    // The last partition used and its key's UTF-8 bytes (grow only).
    private ContainerLogDecoder? _last;
    private byte[] _lastKey = new byte[256];
    private int _lastKeyLength;

    private char[] _chars = new char[256];

    public ContainerLogPartitions(ContainerLogFormat format, int maxMergedLineBytes, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _format = format;
        _maxMergedLineBytes = maxMergedLineBytes;
        _capacity = capacity;
        _bySpan = _byKey.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _byKey.Count;

    /// <summary>The decoder for the partition whose key is <paramref name="utf8Key"/>, made on first use.</summary>
    public ContainerLogDecoder For(ReadOnlySpan<byte> utf8Key)
    {
        if (_last is not null && utf8Key.SequenceEqual(_lastKey.AsSpan(0, _lastKeyLength)))
        {
            return _last;
        }
        if (_chars.Length < utf8Key.Length)
        {
            _chars = new char[Math.Max(utf8Key.Length, _chars.Length * 2)];
        }
        var chars = _chars.AsSpan(0, Encoding.UTF8.GetChars(utf8Key, _chars));
        if (_bySpan.TryGetValue(chars, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
        }
        else
        {
            if (_byKey.Count >= _capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _byKey.Remove(oldest.Value.Key);
            }
            var key = chars.ToString();
            node = _recency.AddFirst(new Partition(key, new ContainerLogDecoder(_format, _maxMergedLineBytes)));
            _byKey.Add(key, node);
        }
        if (_lastKey.Length < utf8Key.Length)
        {
            _lastKey = new byte[Math.Max(utf8Key.Length, _lastKey.Length * 2)];
        }
        utf8Key.CopyTo(_lastKey);
        _lastKeyLength = utf8Key.Length;
        return _last = node.Value.Decoder;
    }

    private readonly record struct Partition(string Key, ContainerLogDecoder Decoder);
}
