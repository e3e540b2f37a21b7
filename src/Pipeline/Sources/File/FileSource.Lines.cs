using System.Diagnostics;
using System.Text;
using System.Text.Unicode;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Sources.File;

// Lines and events: a chunk of a file split into lines, each line decoded (container formats), merged (multi-line)
// and sent as an event, with one acknowledgement batch per chunk whose completion moves the file's checkpoint.
internal sealed partial class FileSource
{
    private const int MinReadBuffer = 256 * 1024;

    /// <summary>Events of a chunk queued before they are sent together (<see cref="SendPendingAsync"/>).</summary>
    private const int PendingCapacity = 256;

    private readonly Event[] _pending = new Event[PendingCapacity];
    private readonly ActivityContext[] _pendingTraces = new ActivityContext[PendingCapacity];
    private readonly long[] _pendingPositions = new long[PendingCapacity];
    private readonly int[] _pendingLineStarts = new int[PendingCapacity];
    private int _pendingCount;

    /// <summary>One read buffer for every file, larger than max_line_bytes so a whole line always fits from its start.</summary>
    private byte[]? _buffer;
    private readonly byte[] _ingestTime = new byte[40];
    private int _ingestTimeLength;
    private byte[]? _host;
    private byte[]? _traceKey;
    private char[] _chars = new char[1024];

    /// <summary>Reads one chunk of an open file from its read offset and sends its complete lines; true when lines were taken.</summary>
    private async ValueTask<bool> ReadChunkAsync(WatchedFile file, CancellationToken stopping)
    {
        _buffer ??= new byte[Math.Max(MinReadBuffer, settings.MaxLineBytes + 1)];
        int read;
        try
        {
            read = RandomAccess.Read(file.Handle!, _buffer, file.ReadOffset);
        }
        catch (IOException ex)
        {
            _context.Logger.Warning("{ComponentId}: reading {Path} failed ({Reason}); closing it, it is reopened when it grows", settings.ComponentId, file.Path, ex.Message);
            file.Close();
            _openFiles--;
            return false;
        }
        file.ReadsSinceOpen++;
        file.AtEnd = read < _buffer.Length;
        if (read == 0)
        {
            return false;
        }
        StampIngestTime();
        var batch = _context.BeginBatch();
        var position = 0;
        var lines = 0;
        var stopped = false;
        while (position < read)
        {
            var newline = _buffer.AsSpan(position, read - position).IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (file.SkippingLongLine)
                {
                    position = read;
                }
                else if (read - position >= settings.MaxLineBytes)
                {
                    // A line longer than max_line_bytes without its end in sight: its start goes now, the rest is skipped.
                    lines++;
                    QueueLine(file, position, settings.MaxLineBytes, truncated: true);
                    file.SkippingLongLine = true;
                    position = read;
                }
                break;
            }
            var start = position;
            position += newline + 1;
            if (file.SkippingLongLine)
            {
                file.SkippingLongLine = false;
                continue;
            }
            var length = newline > 0 && _buffer[start + newline - 1] == '\r' ? newline - 1 : newline;
            var truncated = length > settings.MaxLineBytes;
            lines++;
            QueueLine(file, start, truncated ? settings.MaxLineBytes : length, truncated);
            if (_pendingCount == PendingCapacity)
            {
                var unsent = await SendPendingAsync(file, batch, stopping).ConfigureAwait(false);
                if (unsent >= 0)
                {
                    position = unsent;
                    stopped = true;
                    break;
                }
            }
        }
        if (!stopped && _pendingCount > 0)
        {
            var unsent = await SendPendingAsync(file, batch, stopping).ConfigureAwait(false);
            if (unsent >= 0)
            {
                position = unsent;
                stopped = true;
            }
        }
        file.Metrics.Lines.Inc(lines);
        file.Metrics.Bytes.Inc(position);
        if (position > 0)
        {
            file.ReadOffset += position;
            file.LastProgress = Stopwatch.GetTimestamp();
        }
        Settle(file, batch);
        return position > 0 && !stopped;
    }

    /// <summary>A file that left its path, read to its end: its unfinished last line and whatever is held back go out.</summary>
    private async ValueTask DrainAsync(WatchedFile file, CancellationToken stopping)
    {
        var batch = _context.BeginBatch();
        StampIngestTime();
        if (file.Handle is not null && file.Size > file.ReadOffset)
        {
            _buffer ??= new byte[Math.Max(MinReadBuffer, settings.MaxLineBytes + 1)];
            var read = RandomAccess.Read(file.Handle, _buffer.AsSpan(0, settings.MaxLineBytes), file.ReadOffset);
            if (read > 0 && _buffer.AsSpan(0, read).IndexOf((byte)'\n') < 0)
            {
                if (!file.SkippingLongLine && !await TakeLineAsync(file, 0, read, truncated: false, batch, stopping).ConfigureAwait(false))
                {
                    Settle(file, batch);
                    return;
                }
                file.ReadOffset += read;
                file.Metrics.Lines.Inc();
                file.Metrics.Bytes.Inc(read);
            }
        }
        file.Size = file.ReadOffset;
        await FlushHeldAsync(file, batch, stopping).ConfigureAwait(false);
        file.Drained = true;
        Settle(file, batch);
    }

    /// <summary>Multi-line messages and partial container lines that waited longer than the timeout go out as they are.</summary>
    private async ValueTask FlushTimedOutAsync(CancellationToken stopping)
    {
        var timeout = settings.Multiline?.Timeout ?? TimeSpan.FromSeconds(1);
        var now = Stopwatch.GetTimestamp();
        foreach (var file in _files)
        {
            var groupDue = file.Group is { HasContent: true } group && Stopwatch.GetElapsedTime(group.LastAppend, now) >= timeout;
            var partialDue = file.DecoderPendingSince >= 0 && file.AtEnd && Stopwatch.GetElapsedTime(file.LastProgress, now) >= timeout;
            if (!groupDue && !partialDue)
            {
                continue;
            }
            StampIngestTime();
            var batch = _context.BeginBatch();
            await FlushHeldAsync(file, batch, stopping).ConfigureAwait(false);
            Settle(file, batch);
        }
    }

    private async ValueTask FlushHeldAsync(WatchedFile file, SourceBatch? batch, CancellationToken stopping)
    {
        while (file.Decoder is { } decoder && TryFlushPartial(file, decoder, out var evt, out var offset))
        {
            if (evt is not null && !await SendAsync(file, evt, default, offset, batch, stopping).ConfigureAwait(false))
            {
                return;
            }
        }
        file.DecoderPendingSince = -1;
        if (file.Group is { HasContent: true } group)
        {
            var evt = FromGroup(file, group, out var trace, out var offset);
            await SendAsync(file, evt, trace, offset, batch, stopping).ConfigureAwait(false);
        }
    }

    private bool TryFlushPartial(WatchedFile file, Decoding.ContainerLogDecoder decoder, out Event? evt, out long offset)
    {
        offset = file.DecoderPendingSince;
        if (!decoder.TryFlush(out var line))
        {
            evt = null;
            return false;
        }
        evt = Merge(file, offset, line.Message, line.Timestamp, line.Stream, line.Truncated, out _, out offset);
        return true;
    }

    /// <summary>Seals a chunk's batch and queues it for the checkpoint; without acknowledgements the offset moves now.</summary>
    private static void Settle(WatchedFile file, SourceBatch? batch)
    {
        if (batch is null)
        {
            file.CommittedOffset = file.SafeOffset;
            return;
        }
        batch.Seal();
        file.Pending.Enqueue((batch, file.SafeOffset));
    }

    /// <summary>
    /// Decodes and merges one line (bytes <paramref name="start"/>.. of the read buffer) and queues the event it
    /// completes, if any, for <see cref="SendPendingAsync"/>: a chunk's events go on in batches, so the runtime's
    /// per-send bookkeeping (a clock read, five counters, an async call) is paid per batch, not per line.
    /// </summary>
    private void QueueLine(WatchedFile file, int start, int length, bool truncated)
    {
        var offset = file.ReadOffset + start;
        if (truncated)
        {
            file.Metrics.TruncatedLines.Inc();
        }
        var evt = Take(file, _buffer.AsSpan(start, length), offset, truncated, out var trace, out var eventOffset);
        if (evt is null)
        {
            return;
        }
        _pending[_pendingCount] = evt;
        _pendingTraces[_pendingCount] = trace;
        _pendingPositions[_pendingCount] = eventOffset;
        _pendingLineStarts[_pendingCount] = start;
        _pendingCount++;
    }

    /// <summary>
    /// Sends the queued events, waiting as long as downstream stays full (maintaining checkpoints and gauges every
    /// <see cref="MaintenanceInterval"/> meanwhile, as <see cref="SendAsync"/> does). Returns -1 when every one was
    /// accepted; once the pipeline stops, the read-buffer position of the line that completed the first event not
    /// sent: that event and the rest are released, and their lines are read again next run.
    /// </summary>
    private async ValueTask<int> SendPendingAsync(WatchedFile file, SourceBatch? batch, CancellationToken stopping)
    {
        var count = _pendingCount;
        var sent = 0;
        try
        {
            while (sent < count)
            {
                var (accepted, result) = await _context.SendAllWithinAsync(
                    _pending.AsMemory(sent, count - sent), _pendingTraces.AsMemory(sent, count - sent), _pendingPositions.AsMemory(sent, count - sent),
                    MaintenanceInterval, batch, file.Path, stopping).ConfigureAwait(false);
                sent += accepted;
                if (result == SendResult.Accepted)
                {
                    continue;
                }
                if (result == SendResult.Backpressure && !stopping.IsCancellationRequested)
                {
                    MaintainWhileBlocked();
                    continue;
                }
                for (var i = sent; i < count; i++)
                {
                    _pending[i].Release();
                }
                return _pendingLineStarts[sent];
            }
            return -1;
        }
        finally
        {
            Array.Clear(_pending, 0, count);
            Array.Clear(_pendingTraces, 0, count);
            _pendingCount = 0;
        }
    }

    /// <summary>Decodes, merges and sends one line (bytes <paramref name="start"/>.. of the read buffer); false once the pipeline stops.</summary>
    private ValueTask<bool> TakeLineAsync(WatchedFile file, int start, int length, bool truncated, SourceBatch? batch, CancellationToken stopping)
    {
        var offset = file.ReadOffset + start;
        if (truncated)
        {
            file.Metrics.TruncatedLines.Inc();
        }
        var evt = Take(file, _buffer.AsSpan(start, length), offset, truncated, out var trace, out var eventOffset);
        return evt is null ? ValueTask.FromResult(true) : SendAsync(file, evt, trace, eventOffset, batch, stopping);
    }

    /// <summary>
    /// Sends one event, waiting as long as downstream stays full; every <see cref="MaintenanceInterval"/> of waiting the
    /// loop commits acknowledged chunks, writes checkpoints and updates the gauges, so a blocked source still shows its
    /// lag and stalled files. False once the pipeline stops (the event is released and its line read again next run).
    /// </summary>
    private async ValueTask<bool> SendAsync(WatchedFile file, Event evt, ActivityContext trace, long offset, SourceBatch? batch, CancellationToken stopping)
    {
        while (true)
        {
            var pending = _context.SendWithinAsync(evt, trace, MaintenanceInterval, batch, offset, file.Path, stopping);
            var result = pending.IsCompletedSuccessfully ? pending.Result : await pending.ConfigureAwait(false);
            if (result == SendResult.Accepted)
            {
                return true;
            }
            if (result == SendResult.Backpressure && !stopping.IsCancellationRequested)
            {
                MaintainWhileBlocked();
                continue;
            }
            evt.Release();
            return false;
        }
    }

    /// <summary>The event a line completes, if any: a partial container line or a multi-line message in progress completes none.</summary>
    private Event? Take(WatchedFile file, ReadOnlySpan<byte> line, long offset, bool truncated, out ActivityContext trace, out long eventOffset)
    {
        trace = default;
        eventOffset = offset;
        if (!Utf8.IsValid(line) || line.Contains((byte)0))
        {
            _context.ReportInvalidInput(
                $"{file.Path} at offset {offset}: " + (Utf8.IsValid(line)
                    ? "the line holds NUL bytes (binary data, or space a writer reserved and never wrote); skipped"
                    : "the line is not UTF-8 text (binary data?); skipped"),
                line);
            return null;
        }
        if (file.Decoder is not { } decoder)
        {
            return Merge(file, offset, line, default, default, truncated, out trace, out eventOffset);
        }
        switch (decoder.Decode(line, out var logical, out var error))
        {
            case Decoding.ContainerLineStatus.Partial:
                if (file.DecoderPendingSince < 0)
                {
                    file.DecoderPendingSince = offset;
                }
                return null;
            case Decoding.ContainerLineStatus.Invalid:
                _context.ReportInvalidInput($"{file.Path} at offset {offset}: {error}", line);
                return null;
            default:
                var lineOffset = file.DecoderPendingSince >= 0 ? file.DecoderPendingSince : offset;
                if (!decoder.HasPending)
                {
                    file.DecoderPendingSince = -1;
                }
                return Merge(file, lineOffset, logical.Message, logical.Timestamp, logical.Stream, truncated || logical.Truncated, out trace, out eventOffset);
        }
    }

    /// <summary>Multi-line merge: a line that does not start a message joins the one in progress; one that does sends the previous.</summary>
    private Event? Merge(
        WatchedFile file, long offset, ReadOnlySpan<byte> message, ReadOnlySpan<byte> timestamp, ReadOnlySpan<byte> stream, bool truncated,
        out ActivityContext trace, out long eventOffset)
    {
        if (file.Group is not { } group)
        {
            eventOffset = offset;
            return Build(file, offset, message, timestamp, stream, truncated, out trace);
        }
        if (group.HasContent && !StartsMessage(message))
        {
            group.Append(message, truncated);
            trace = default;
            eventOffset = offset;
            return null;
        }
        Event? previous = null;
        trace = default;
        eventOffset = offset;
        if (group.HasContent)
        {
            previous = FromGroup(file, group, out trace, out eventOffset);
        }
        group.Start(offset, message, timestamp, stream, truncated);
        return previous;
    }

    private Event FromGroup(WatchedFile file, MultilineGroup group, out ActivityContext trace, out long offset)
    {
        offset = group.Offset;
        var evt = Build(file, group.Offset, group.Text, group.Timestamp, group.Stream, group.Truncated, out trace);
        group.Clear();
        return evt;
    }

    private bool StartsMessage(ReadOnlySpan<byte> message)
    {
        if (_chars.Length < message.Length)
        {
            _chars = new char[Math.Max(message.Length, _chars.Length * 2)];
        }
        var length = Encoding.UTF8.GetChars(message, _chars);
        return settings.Multiline!.StartPattern.IsMatch(_chars.AsSpan(0, length));
    }

    private Event Build(
        WatchedFile file, long offset, ReadOnlySpan<byte> message, ReadOnlySpan<byte> timestamp, ReadOnlySpan<byte> stream, bool truncated,
        out ActivityContext trace)
    {
        _host ??= Encoding.UTF8.GetBytes(settings.Host);
        var path = file.PathUtf8;
        // Keys are distinct by construction: appended without lookups, into an arena sized once for the whole event.
        var evt = Event.CreateObject(message.Length + timestamp.Length + stream.Length + path.Length + _host.Length + 2 * _ingestTimeLength + 128, 9);
        evt.AppendString("message"u8, message);
        if (settings.Format is null)
        {
            evt.AppendString("timestamp"u8, _ingestTime.AsSpan(0, _ingestTimeLength));
        }
        else
        {
            evt.AppendString("timestamp"u8, timestamp);
            evt.AppendString("stream"u8, stream);
            evt.AppendString("ingest_timestamp"u8, _ingestTime.AsSpan(0, _ingestTimeLength));
        }
        evt.AppendString("file"u8, path);
        evt.AppendNumber("offset"u8, offset);
        evt.AppendString("host"u8, _host);
        if (truncated)
        {
            evt.AppendBoolean("truncated"u8, true);
        }
        trace = TraceParentOf(message);
        return evt;
    }

    /// <summary>The W3C traceparent a JSON line carries under traceparent_key, found by a vectorised search (no parse).</summary>
    private ActivityContext TraceParentOf(ReadOnlySpan<byte> message)
    {
        if (settings.TraceparentKey.Length == 0)
        {
            return default;
        }
        _traceKey ??= Encoding.UTF8.GetBytes("\"" + settings.TraceparentKey + "\"");
        var at = message.IndexOf(_traceKey);
        if (at < 0)
        {
            return default;
        }
        var rest = message[(at + _traceKey.Length)..].TrimStart(" \t"u8);
        if (rest.IsEmpty || rest[0] != ':')
        {
            return default;
        }
        rest = rest[1..].TrimStart(" \t"u8);
        if (rest.IsEmpty || rest[0] != '"')
        {
            return default;
        }
        rest = rest[1..];
        var end = rest.IndexOf((byte)'"');
        if (end is < 0 or > 64)
        {
            return default;
        }
        return W3CTraceparent.TryParse(Encoding.UTF8.GetString(rest[..end]), traceState: null, isRemote: false, out var context) ? context : default;
    }

    private void StampIngestTime() => DateTime.UtcNow.TryFormat(_ingestTime, out _ingestTimeLength, "O", null);
}
