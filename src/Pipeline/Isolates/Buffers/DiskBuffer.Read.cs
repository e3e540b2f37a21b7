using System.Diagnostics;
using Pipeline.Events;

namespace Pipeline.Isolates.Buffers;

/// <summary>The read side: recovery at open, and the reader that hands records to the sink's isolates.</summary>
internal sealed partial class DiskBuffer
{
    /// <summary>The most records read ahead before they are handed on.</summary>
    private const int ReadBurst = 256;

    private readonly SemaphoreSlim _readSignal = new(0, 1);

    // The reader's own: where it is, and the open segment.
    private long _readSegment;
    private long _readOffset;
    private SegmentScan? _scan;
    private Action<long, string>? _reportDamage;
    private long _burstStarted;

    /// <summary>
    /// Hands every record, oldest first (what a previous run left before what this one writes), to
    /// <paramref name="handOff"/>, which waits for room in a mailbox and returns false once the mailboxes are closed.
    /// Returns when writing is complete and everything written was handed on, or when <paramref name="stop"/> is
    /// cancelled; a record it held then stays in the buffer.
    /// </summary>
    public async Task RunAsync(Func<Envelope, CancellationToken, ValueTask<bool>> handOff, CancellationToken stop)
    {
        var sourceIds = new List<string>();
        // Records are read ahead in bursts and then handed on back to back: a sink isolate woken by the first finds
        // the rest already in its mailbox, so it delivers full batches (handing each on as it was read made batches
        // of a few events, and as many requests to the sink's backend).
        var burst = new List<Envelope>(ReadBurst);
        _reportDamage = (offset, kind) => ReportDamage(_readSegment, offset, kind);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // One clock read per burst: when its records entered the mailboxes.
                _burstStarted = Stopwatch.GetTimestamp();
                while (burst.Count < ReadBurst && TryReadNext(sourceIds, out var read))
                {
                    burst.Add(read);
                }
                if (burst.Count > 0)
                {
                    for (var i = 0; i < burst.Count; i++)
                    {
                        bool handed;
                        try
                        {
                            handed = await handOff(burst[i], stop).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (stop.IsCancellationRequested)
                        {
                            handed = false;
                        }
                        if (!handed)
                        {
                            // Never settled, so these records are still on disk for the next start.
                            for (var j = i; j < burst.Count; j++)
                            {
                                burst[j].Event.Release();
                            }
                            return;
                        }
                    }
                    burst.Clear();
                    continue;
                }
                if (IsDrained())
                {
                    return;
                }
                await _readSignal.WaitAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            _scan?.Dispose();
            _scan = null;
        }
    }

    /// <summary>At open: drops what the ledger says was settled, counts what is left, and starts writing a new segment.</summary>
    private void Recover()
    {
        var segments = SegmentFiles.List(_directory);
        var ledger = SegmentFiles.ReadLedger(_directory);
        long startSegment = segments.Count > 0 ? segments[0] : 1, startOffset = 0;
        if (ledger is { } settled)
        {
            foreach (var old in segments.Where(s => s < settled.Segment).ToList())
            {
                File.Delete(SegmentFiles.PathOf(_directory, old));
                segments.Remove(old);
            }
            if (segments.Contains(settled.Segment))
            {
                (startSegment, startOffset) = settled;
            }
            else if (segments.Count > 0)
            {
                startSegment = segments[0];
            }
        }
        long events = 0;
        foreach (var segment in segments)
        {
            var path = SegmentFiles.PathOf(_directory, segment);
            var length = new FileInfo(path).Length;
            _segmentBytes[segment] = length;
            _diskBytes += length;
            using var scan = new SegmentScan(path, segment == startSegment ? Math.Min(startOffset, length) : 0);
            while (scan.TryNext(length, isFinal: true, static (_, _) => { }, out _))
            {
                events++;
            }
        }
        _storedEvents = events;
        _writeSegment = (segments.Count > 0 ? segments[^1] : 0) + 1;
        _durableSegment = _writeSegment;
        _readSegment = segments.Count > 0 ? startSegment : _writeSegment;
        _readOffset = segments.Count > 0 ? startOffset : 0;
        _readerSegment = _ledgerSegment = _readSegment;
        _ledgerOffset = _readOffset;
        if (segments.Count > 0)
        {
            _logger.Information("{ComponentId}: its disk buffer holds {Events} events ({Bytes} bytes in {Segments} segments) from before this start; they are delivered first",
                _sinkId, events, _diskBytes, segments.Count);
        }
        _syncLoop = Task.Run(SyncLoopAsync);
    }

    private bool TryReadNext(List<string> sourceIds, out Envelope envelope)
    {
        envelope = default;
        while (true)
        {
            long durableSegment, durableOffset;
            lock (_writeGate)
            {
                durableSegment = _durableSegment;
                durableOffset = _durableOffset;
            }
            var isFinal = _readSegment < durableSegment;
            if (_scan is null)
            {
                var path = SegmentFiles.PathOf(_directory, _readSegment);
                if (!File.Exists(path))
                {
                    if (!isFinal)
                    {
                        return false;
                    }
                    MoveToNextSegment();
                    continue;
                }
                _scan = new SegmentScan(path, _readOffset);
            }
            var limit = isFinal ? _scan.FileLength : durableOffset;
            if (_scan.TryNext(limit, isFinal, _reportDamage!, out var frame))
            {
                DecodedRecord record;
                try
                {
                    record = BufferRecord.Decode(frame, sourceIds);
                }
                catch (EventFormatException)
                {
                    ReportDamage(_readSegment, _scan.Offset - frame.Length, "framing");
                    continue;
                }
                _readOffset = _scan.Offset;
                var ticket = TrackRead(_readSegment, _readOffset);
                Interlocked.Increment(ref _readEvents);
                envelope = ToEnvelope(record, ticket);
                return true;
            }
            _readOffset = _scan.Offset;
            if (!isFinal)
            {
                return false;
            }
            MoveToNextSegment();
        }
    }

    private void MoveToNextSegment()
    {
        _scan?.Dispose();
        _scan = null;
        var finished = _readSegment;
        _readSegment++;
        _readOffset = 0;
        FinishSegment(finished, _readSegment);
    }

    private bool IsDrained()
    {
        lock (_writeGate)
        {
            return _writingCompleted && _pending.Count == 0 && !_syncInProgress && !_syncRequested
                && _readSegment == _durableSegment && _readOffset >= _durableOffset;
        }
    }

    private Envelope ToEnvelope(in DecodedRecord record, long ticket)
    {
        // The ingest time crosses restarts as wall-clock time; the latency histograms then include the time buffered.
        var context = _tracer.RecordBufferWait(record.TraceContext, FromUnixMicros(record.WrittenMicros));
        return new Envelope(record.Event, context, StopwatchTicks(record.IngestMicros), 1, record.SourceId, _burstStarted, record.NewTraceId, this, ticket);
    }
}
