using System.Buffers;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Pipeline.Components;

namespace Pipeline.Isolates.Buffers;

/// <summary>The write side: appends, the group-commit sync loop, space accounting.</summary>
internal sealed partial class DiskBuffer
{
    /// <summary>How often the sync loop wakes with nothing to write, to save the ledger (and so bound redelivery after a crash).</summary>
    private static readonly TimeSpan LedgerInterval = TimeSpan.FromMilliseconds(200);

    private const int LargestChunk = 1024 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_record;

    // Guarded by _writeGate: where appends go, what is appended and not yet written out, and the space used.
    private readonly Lock _writeGate = new();
    private readonly Dictionary<long, long> _segmentBytes = [];
    private readonly Stack<PendingChunk> _freeChunks = new();
    private List<PendingChunk> _pending = [];
    private List<PendingAck> _pendingAcks = [];
    private long _writeSegment;
    private long _writeOffset;
    private long _diskBytes;
    private long _pendingBytes;
    private long _rejectedSize;
    private long _writtenEvents;
    private long _writtenBytes;
    private long _durableSegment;
    private long _durableOffset;
    private bool _syncRequested;
    private bool _syncInProgress;
    private bool _writingCompleted;
    private bool _closeRequested;
    private TaskCompletionSource<bool>? _roomWaiters;

    // The sync loop's own.
    private readonly SemaphoreSlim _syncSignal = new(0, 1);
    private SafeFileHandle? _ledger;
    private SafeFileHandle? _syncHandle;
    private long _syncHandleSegment = -1;
    private Task _syncLoop = Task.CompletedTask;

    /// <summary>True when an append would not have to wait now (it may still find the room taken by another producer).</summary>
    public bool HasRoom
        => Volatile.Read(ref _diskBytes) + Math.Max(1, Volatile.Read(ref _rejectedSize)) <= _maxSize
            && Volatile.Read(ref _pendingBytes) < MaxPendingBytes;

    /// <summary>
    /// Appends the envelope's record. <see cref="AppendResult.Appended"/>: the buffer holds it (the caller releases the
    /// event) and settles the envelope's own acknowledgement as buffered once the record is synced.
    /// </summary>
    public AppendResult TryAppend(in Envelope envelope)
    {
        var record = t_record ??= new ArrayBufferWriter<byte>(4096);
        record.ResetWrittenCount();
        // No clock read: the producer stamped the hand-off (EnqueuedTimestamp), and both times convert to wall-clock time.
        var writtenTicks = envelope.EnqueuedTimestamp != 0 ? envelope.EnqueuedTimestamp : Stopwatch.GetTimestamp();
        BufferRecord.Write(record, envelope, WallMicros(envelope.IngestTimestamp), WallMicros(writtenTicks));
        var length = record.WrittenCount;
        if (length > _maxSize || length > BufferRecord.MaxPayloadLength)
        {
            return AppendResult.TooLarge;
        }
        lock (_writeGate)
        {
            if (_closeRequested || _diskBytes + length > _maxSize || (_pendingBytes > 0 && _pendingBytes + length > MaxPendingBytes))
            {
                _rejectedSize = length;
                return AppendResult.Full;
            }
            if (_writeOffset > 0 && _writeOffset + length > _segmentSize)
            {
                _writeSegment++;
                _writeOffset = 0;
            }
            var chunk = _pending.Count > 0 ? _pending[^1] : null;
            // A chunk stops growing at 1 MiB, so chunks stay small enough to be reused instead of reallocated on the
            // large-object heap for every group commit.
            if (chunk is null || chunk.Segment != _writeSegment || chunk.Bytes.WrittenCount >= LargestChunk)
            {
                chunk = _freeChunks.Count > 0 ? _freeChunks.Pop() : new PendingChunk();
                chunk.Segment = _writeSegment;
                chunk.Offset = _writeOffset;
                _pending.Add(chunk);
            }
            chunk.Bytes.Write(record.WrittenSpan);
            _writeOffset += length;
            _segmentBytes[_writeSegment] = _writeOffset;
            _diskBytes += length;
            _pendingBytes += length;
            _writtenEvents++;
            _writtenBytes += length;
            _rejectedSize = 0;
            if (envelope.Ack is not null)
            {
                _pendingAcks.Add(new PendingAck(envelope.Ack, envelope.Ticket));
            }
            Interlocked.Increment(ref _storedEvents);
            if (_syncRequested)
            {
                return AppendResult.Appended;
            }
            _syncRequested = true;
        }
        Signal(_syncSignal);
        return AppendResult.Appended;
    }

    /// <summary>Completes when there may be room (true) or the buffer closed (false).</summary>
    public ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken)
    {
        Task<bool> waiting;
        lock (_writeGate)
        {
            if (HasRoom)
            {
                return new(true);
            }
            if (_closeRequested)
            {
                return new(false);
            }
            _roomWaiters ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting = _roomWaiters.Task;
        }
        return new(waiting.WaitAsync(cancellationToken));
    }

    /// <summary>Nothing more will be appended: the reader stops once it has handed on everything there is.</summary>
    public void CompleteWriting()
    {
        lock (_writeGate)
        {
            _writingCompleted = true;
        }
        Signal(_syncSignal);
        Signal(_readSignal);
    }

    /// <summary>Writes out and syncs what is pending, saves the ledger and closes the files. What the sink did not settle stays.</summary>
    public async Task CloseAsync()
    {
        lock (_writeGate)
        {
            _closeRequested = true;
            _roomWaiters?.TrySetResult(false);
            _roomWaiters = null;
        }
        Signal(_syncSignal);
        await _syncLoop.ConfigureAwait(false);
        _syncHandle?.Dispose();
        _ledger?.Dispose();
        var left = StoredEvents;
        if (left == 0 && Damaged == 0)
        {
            // Everything written was settled: nothing to keep, and the next start begins with an empty directory.
            foreach (var segment in SegmentFiles.List(_directory))
            {
                File.Delete(SegmentFiles.PathOf(_directory, segment));
            }
            File.Delete(Path.Combine(_directory, SegmentFiles.LedgerName));
        }
        if (left > 0)
        {
            _logger.Information("{ComponentId}: {Events} events stay in its disk buffer ({Directory}); the next start delivers them first",
                _sinkId, left, _directory);
        }
    }

    private static void Signal(SemaphoreSlim signal)
    {
        if (signal.CurrentCount == 0)
        {
            try
            {
                signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another thread signalled first: one wake-up is all it takes.
            }
        }
    }

    internal static long UnixMicros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>
    /// A <see cref="Stopwatch"/> timestamp as wall-clock µs since the epoch, through the pair of readings taken when
    /// the buffer opened (records outlive the process, Stopwatch timestamps do not). Over a long run the two clocks
    /// drift apart by what NTP corrects; for latency figures that is noise.
    /// </summary>
    private long WallMicros(long stopwatchTicks) => _wallAtOpen + (long)((stopwatchTicks - _ticksAtOpen) * (1_000_000.0 / Stopwatch.Frequency));

    /// <summary>The inverse of <see cref="WallMicros"/>.</summary>
    private long StopwatchTicks(long wallMicros) => _ticksAtOpen + (long)((wallMicros - _wallAtOpen) * (Stopwatch.Frequency / 1_000_000.0));

    internal static DateTimeOffset FromUnixMicros(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero);

    /// <summary>A deleted segment's bytes are free again: producers waiting for room are woken.</summary>
    private void ReleaseSpace(long segment)
    {
        TaskCompletionSource<bool>? waiters;
        lock (_writeGate)
        {
            if (_segmentBytes.Remove(segment, out var bytes))
            {
                _diskBytes -= bytes;
            }
            waiters = _roomWaiters;
            _roomWaiters = null;
        }
        waiters?.TrySetResult(true);
    }

    /// <summary>
    /// Group commit: whatever producers appended while the previous write and fsync ran is written and synced
    /// together, then acknowledged upstream as buffered and made visible to the reader. One fsync per round, however
    /// many records; a producer never waits for the disk unless MaxPendingBytes are waiting already.
    /// </summary>
    private async Task SyncLoopAsync()
    {
        var chunks = new List<PendingChunk>();
        var acks = new List<PendingAck>();
        var failures = 0;
        while (true)
        {
            await _syncSignal.WaitAsync(LedgerInterval).ConfigureAwait(false);
            long durableSegment, durableOffset, bytes = 0;
            bool closing;
            lock (_writeGate)
            {
                closing = _closeRequested;
                chunks.AddRange(_pending);
                _pending.Clear();
                acks.AddRange(_pendingAcks);
                _pendingAcks.Clear();
                durableSegment = _writeSegment;
                durableOffset = _writeOffset;
                _syncRequested = false;
                _syncInProgress = chunks.Count > 0;
            }
            if (chunks.Count > 0)
            {
                try
                {
                    bytes = WriteOut(chunks);
                    failures = 0;
                }
                catch (IOException ex)
                {
                    // The disk is full or failing: nothing is acknowledged, producers back up behind MaxPendingBytes,
                    // and the same chunks are written again (at the same offsets) on the next round.
                    failures++;
                    if (_damageLines.ShouldLog(out _))
                    {
                        _logger.Error(ex, "{ComponentId}: writing its disk buffer failed ({Failures} in a row); retrying, and holding acknowledgements until it succeeds",
                            _sinkId, failures);
                    }
                    if (closing && failures >= 5)
                    {
                        // Shutting down on a failing disk: these records were never acknowledged upstream, so their
                        // sources (with acknowledgements) resend them; say how many, and stop trying.
                        _logger.Error("{ComponentId}: gave up writing {Records} records to its disk buffer at shutdown; they were never acknowledged",
                            _sinkId, acks.Count);
                        return;
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * failures))).ConfigureAwait(false);
                    Signal(_syncSignal);
                    continue;
                }
                TaskCompletionSource<bool>? waiters;
                lock (_writeGate)
                {
                    _durableSegment = durableSegment;
                    _durableOffset = durableOffset;
                    _pendingBytes -= bytes;
                    _syncInProgress = false;
                    foreach (var chunk in chunks)
                    {
                        chunk.Bytes.ResetWrittenCount();
                        if (chunk.Bytes.Capacity <= 2 * LargestChunk)
                        {
                            _freeChunks.Push(chunk);
                        }
                    }
                    waiters = _roomWaiters;
                    _roomWaiters = null;
                }
                chunks.Clear();
                waiters?.TrySetResult(true);
                foreach (var ack in acks)
                {
                    ack.Tracker.Settle(ack.Ticket, EventOutcome.Buffered, null);
                }
                acks.Clear();
                Signal(_readSignal);
            }
            SaveLedger();
            if (closing)
            {
                lock (_writeGate)
                {
                    if (_pending.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
    }

    /// <returns>The bytes written.</returns>
    private long WriteOut(List<PendingChunk> chunks)
    {
        long bytes = 0;
        foreach (var chunk in chunks)
        {
            if (chunk.Segment != _syncHandleSegment)
            {
                if (_syncHandle is not null)
                {
                    // A finished segment is synced before the reader may treat it as whole.
                    RandomAccess.FlushToDisk(_syncHandle);
                    _syncHandle.Dispose();
                    _syncHandle = null;
                }
                _syncHandle = File.OpenHandle(
                    SegmentFiles.PathOf(_directory, chunk.Segment), FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete);
                _syncHandleSegment = chunk.Segment;
            }
            RandomAccess.Write(_syncHandle!, chunk.Bytes.WrittenSpan, chunk.Offset);
            bytes += chunk.Bytes.WrittenCount;
        }
        RandomAccess.FlushToDisk(_syncHandle!);
        return bytes;
    }

    private void SaveLedger()
    {
        long segment, offset;
        lock (_ackGate)
        {
            if (!_ledgerDirty)
            {
                return;
            }
            _ledgerDirty = false;
            segment = _ledgerSegment;
            offset = _ledgerOffset;
        }
        try
        {
            _ledger ??= OpenLedger(_directory);
            SegmentFiles.WriteLedger(_ledger, segment, offset);
        }
        catch (IOException ex)
        {
            // Only redelivery after a restart grows; nothing is lost.
            _logger.Warning(ex, "{ComponentId}: could not save its disk buffer's ledger", _sinkId);
        }
    }

    private sealed class PendingChunk
    {
        public long Segment;
        public long Offset;
        public readonly ArrayBufferWriter<byte> Bytes = new(64 * 1024);
    }

    private readonly record struct PendingAck(AcknowledgementTracker Tracker, long Ticket);
}

/// <summary>What <see cref="DiskBuffer.TryAppend"/> did.</summary>
internal enum AppendResult
{
    Appended,

    /// <summary>max_size is reached (or the writes are behind): nothing happened.</summary>
    Full,

    /// <summary>The record alone is larger than max_size: it can never fit.</summary>
    TooLarge,
}
