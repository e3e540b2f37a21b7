namespace Pipeline.Isolates.Buffers;

/// <summary>
/// Walks the records of one segment file from an offset, in chunks, checking each frame: what the reader and
/// <c>pipeline buffer check</c> share. Damage is reported and stepped over: after a bad frame the walk looks for the
/// next magic that starts a valid frame; an incomplete frame at the end of a finished segment is a torn tail.
/// </summary>
internal sealed class SegmentScan : IDisposable
{
    private const int ChunkLength = 1024 * 1024;

    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;
    private byte[] _buffer = new byte[ChunkLength];
    private long _bufferOffset;
    private int _bufferLength;

    public SegmentScan(string path, long offset)
    {
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Offset = offset;
        _bufferOffset = offset;
    }

    /// <summary>Where the next record starts (or the walk resumes).</summary>
    public long Offset { get; private set; }

    public long FileLength => RandomAccess.GetLength(_handle);

    /// <summary>
    /// The next valid frame before <paramref name="limit"/>, stepping over damage (reported to <paramref name="damaged"/>
    /// with its offset and kind). False when no whole frame is left before the limit: at a final segment's end the
    /// rest, if any, was reported as a torn tail and skipped; otherwise the caller waits for more to be written.
    /// </summary>
    /// <param name="isFinal">True when nothing more will be written below <paramref name="limit"/> (a finished segment).</param>
    public bool TryNext(long limit, bool isFinal, Action<long, string> damaged, out ReadOnlySpan<byte> frame)
    {
        frame = default;
        while (Offset < limit)
        {
            var available = Fill(limit, BufferRecord.FrameHeaderLength);
            var status = BufferRecord.Check(available, out var length);
            if (status == FrameStatus.Incomplete)
            {
                var claimed = BufferRecord.ClaimedLength(available);
                if (claimed > 0 && Offset + claimed <= limit)
                {
                    available = Fill(limit, (int)claimed);
                    status = BufferRecord.Check(available, out length);
                }
            }
            switch (status)
            {
                case FrameStatus.Valid:
                    frame = available[..length];
                    Offset += length;
                    return true;
                case FrameStatus.Incomplete:
                    if (!isFinal)
                    {
                        return false;
                    }
                    damaged(Offset, "torn_tail");
                    Offset = limit;
                    return false;
                default:
                    damaged(Offset, status == FrameStatus.BadChecksum ? "checksum" : "framing");
                    Resynchronize(limit);
                    break;
            }
        }
        return false;
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Moves past damage to the next offset where a valid frame starts (or to the limit).</summary>
    private void Resynchronize(long limit)
    {
        Offset++;
        while (Offset < limit)
        {
            var available = Fill(limit, BufferRecord.FrameHeaderLength);
            var at = available.IndexOf("PLB1"u8);
            if (at < 0)
            {
                // Keep the last three bytes: a magic may straddle the chunk boundary.
                Offset += Math.Max(1, available.Length - 3);
                continue;
            }
            Offset += at;
            var candidate = Fill(limit, BufferRecord.FrameHeaderLength);
            var claimed = BufferRecord.ClaimedLength(candidate);
            if (claimed > 0 && Offset + claimed <= limit && BufferRecord.Check(Fill(limit, (int)claimed), out _) == FrameStatus.Valid)
            {
                return;
            }
            Offset++;
        }
    }

    /// <summary>The bytes from <see cref="Offset"/> up to the limit that are in memory, at least <paramref name="wanted"/> when the file has them.</summary>
    private ReadOnlySpan<byte> Fill(long limit, int wanted)
    {
        var start = Offset - _bufferOffset;
        if (start < 0 || start > _bufferLength || _bufferLength - start < Math.Min(wanted, limit - Offset))
        {
            if (wanted > _buffer.Length)
            {
                _buffer = new byte[wanted];
                _bufferLength = 0;
            }
            var keep = start >= 0 && start <= _bufferLength ? _bufferLength - (int)start : 0;
            if (keep > 0)
            {
                Buffer.BlockCopy(_buffer, (int)start, _buffer, 0, keep);
            }
            _bufferOffset = Offset;
            _bufferLength = keep;
            while (_bufferLength < _buffer.Length && _bufferOffset + _bufferLength < limit)
            {
                var room = (int)Math.Min(_buffer.Length - _bufferLength, limit - _bufferOffset - _bufferLength);
                var read = RandomAccess.Read(_handle, _buffer.AsSpan(_bufferLength, room), _bufferOffset + _bufferLength);
                if (read == 0)
                {
                    break;
                }
                _bufferLength += read;
            }
            start = 0;
        }
        var end = (int)Math.Min(_bufferLength, limit - _bufferOffset);
        return _buffer.AsSpan((int)start, Math.Max(0, end - (int)start));
    }
}
