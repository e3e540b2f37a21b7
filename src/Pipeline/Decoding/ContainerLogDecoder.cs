using System.Diagnostics;
using System.Text;

namespace Pipeline.Decoding;

// The decoder is split by job: this file holds the public surface and the reassembly of partial lines that both
// formats share; ContainerLogDecoder.Cri.cs and ContainerLogDecoder.DockerJson.cs cut one physical line into a piece.
/// <summary>
/// Decodes the log lines that container runtimes write for Kubernetes (CRI or Docker json-file) and reassembles the
/// lines they split: a runtime writes a long line as several partial pieces and the last, final one.
/// </summary>
/// <remarks>
/// <para>One decoder per file: the pieces of a line are consecutive lines of one file, so the caller keeps a decoder
/// per file and feeds it that file's lines in order. Pieces are reassembled per stream, because a container's
/// stdout and stderr are split independently and their pieces interleave.</para>
/// <para>No allocation per line: the pieces are copied into buffers owned by the decoder, which only grow (up to
/// <c>maxMergedLineBytes</c>). A final line with no pending pieces is returned as spans into the caller's line.</para>
/// <para>Not thread-safe: one decoder belongs to one reader.</para>
/// </remarks>
public sealed partial class ContainerLogDecoder
{
    private const int MaxShownBytes = 64;

    private readonly ContainerLogFormat _format;
    private readonly int _maxMergedLineBytes;

    // The pieces buffered per stream; each is pending from its first partial piece until the final one or a flush.
    private readonly PendingLine _stdout;
    private readonly PendingLine _stderr;

    public ContainerLogDecoder(ContainerLogFormat format, int maxMergedLineBytes)
    {
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "expected Cri or DockerJson");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMergedLineBytes);
        _format = format;
        _maxMergedLineBytes = maxMergedLineBytes;
        _stdout = new PendingLine(maxMergedLineBytes);
        _stderr = new PendingLine(maxMergedLineBytes);
    }

    public ContainerLogFormat Format => _format;

    /// <summary>The longest message returned; a longer one is cut to this many bytes and marked truncated.</summary>
    public int MaxMergedLineBytes => _maxMergedLineBytes;

    /// <summary>True while partial pieces are buffered (the caller may flush them on a timeout or at end of file).</summary>
    public bool HasPending => _stdout.IsPending || _stderr.IsPending;

    private static ReadOnlySpan<byte> Stdout => "stdout"u8;

    private static ReadOnlySpan<byte> Stderr => "stderr"u8;

    /// <summary>
    /// Decodes one physical line (without its trailing '\n'). Complete: <paramref name="line"/> holds a whole logical
    /// line. Partial: a piece was buffered (CRI 'P' tag, or a Docker json-file "log" not ending in "\n"); nothing to
    /// emit yet. Invalid: <paramref name="error"/> says what is wrong in plain words; pieces buffered for other
    /// lines are unaffected.
    /// </summary>
    public ContainerLineStatus Decode(ReadOnlySpan<byte> physicalLine, out ContainerLogLine line, out string? error)
        => _format == ContainerLogFormat.Cri
            ? DecodeCri(physicalLine, out line, out error)
            : DecodeDockerJson(physicalLine, out line, out error);

    /// <summary>
    /// Returns the pieces buffered for one stream as one line and clears them; false when nothing is buffered.
    /// With pieces pending on both streams, stdout comes first: call until it returns false to flush everything.
    /// The line is marked <see cref="ContainerLogLine.Truncated"/> only when it was cut at the maximum size, not for
    /// lacking its final piece.
    /// </summary>
    public bool TryFlush(out ContainerLogLine line)
    {
        if (_stdout.IsPending)
        {
            line = _stdout.Take(Stdout);
            return true;
        }
        if (_stderr.IsPending)
        {
            line = _stderr.Take(Stderr);
            return true;
        }
        line = default;
        return false;
    }

    /// <summary>The stream's pending line and its name, or null for anything but stdout and stderr.</summary>
    private PendingLine? PendingFor(ReadOnlySpan<byte> stream, out ReadOnlySpan<byte> name)
    {
        if (stream.SequenceEqual(Stdout))
        {
            name = Stdout;
            return _stdout;
        }
        if (stream.SequenceEqual(Stderr))
        {
            name = Stderr;
            return _stderr;
        }
        name = default;
        return null;
    }

    /// <summary>Buffers a partial piece, or completes a line with a final one.</summary>
    private ContainerLineStatus Accept(PendingLine pending, ReadOnlySpan<byte> stream, ReadOnlySpan<byte> timestamp,
        ReadOnlySpan<byte> message, bool final, out ContainerLogLine line)
    {
        if (!final)
        {
            pending.Append(timestamp, message);
            line = default;
            return ContainerLineStatus.Partial;
        }
        if (!pending.IsPending)
        {
            var truncated = message.Length > _maxMergedLineBytes;
            line = new ContainerLogLine(timestamp, stream, truncated ? message[..CutPoint(message, _maxMergedLineBytes)] : message, truncated);
            return ContainerLineStatus.Complete;
        }
        pending.Append(timestamp, message);
        line = pending.Take(stream);
        return ContainerLineStatus.Complete;
    }

    private static ContainerLineStatus Invalid(string message, out ContainerLogLine line, out string? error)
    {
        line = default;
        error = message;
        return ContainerLineStatus.Invalid;
    }

    /// <summary>The start of some bad input for an error message, as text.</summary>
    private static string Show(ReadOnlySpan<byte> utf8)
        => utf8.Length <= MaxShownBytes
            ? Encoding.UTF8.GetString(utf8)
            : Encoding.UTF8.GetString(utf8[..CutPoint(utf8, MaxShownBytes)]) + "…";

    /// <summary>Where to cut <paramref name="text"/> (longer than <paramref name="limit"/>) to at most limit bytes.</summary>
    private static int CutPoint(ReadOnlySpan<byte> text, int limit)
    {
        Debug.Assert(text.Length > limit && limit >= 0);
        // Cutting inside a multi-byte UTF-8 sequence would leave invalid text: back up to its first byte (a sequence
        // has at most 3 continuation bytes).
        var cut = limit;
        for (var i = 0; i < 3 && cut > 0 && (text[cut] & 0xC0) == 0x80; i++)
        {
            cut--;
        }
        return cut;
    }

    /// <summary>The pieces of one stream's line so far, with its first piece's time.</summary>
    private sealed class PendingLine(int maxBytes)
    {
        // Both grow only, the message up to maxBytes: after warm-up, reassembly allocates nothing.
        private byte[] _message = [];
        private int _length;
        private byte[] _timestamp = [];
        private int _timestampLength;

        // Set once the pieces passed maxBytes: the rest of this line's pieces are dropped until its final one.
        private bool _truncated;

        public bool IsPending { get; private set; }

        public void Append(ReadOnlySpan<byte> timestamp, ReadOnlySpan<byte> piece)
        {
            if (!IsPending)
            {
                IsPending = true;
                _length = 0;
                _truncated = false;
                if (_timestamp.Length < timestamp.Length)
                {
                    _timestamp = new byte[Math.Max(timestamp.Length, 64)];
                }
                timestamp.CopyTo(_timestamp);
                _timestampLength = timestamp.Length;
            }
            if (_truncated)
            {
                return;
            }
            var take = piece.Length;
            if (take > maxBytes - _length)
            {
                take = CutPoint(piece, maxBytes - _length);
                _truncated = true;
            }
            if (_message.Length < _length + take)
            {
                _message = Grow(_message, _length, _length + take);
            }
            piece[..take].CopyTo(_message.AsSpan(_length));
            _length += take;
        }

        /// <summary>The line so far, which stays readable until the next piece of this stream arrives.</summary>
        public ContainerLogLine Take(ReadOnlySpan<byte> stream)
        {
            Debug.Assert(IsPending);
            IsPending = false;
            return new ContainerLogLine(_timestamp.AsSpan(0, _timestampLength), stream, _message.AsSpan(0, _length), _truncated);
        }

        private byte[] Grow(byte[] buffer, int used, int needed)
        {
            var grown = new byte[Math.Min(maxBytes, Math.Max(needed, Math.Max(buffer.Length * 2, 1024)))];
            buffer.AsSpan(0, used).CopyTo(grown);
            return grown;
        }
    }
}
