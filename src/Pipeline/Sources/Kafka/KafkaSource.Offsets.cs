using System.Diagnostics;
using Confluent.Kafka;

namespace Pipeline.Sources.Kafka;

internal sealed partial class KafkaSource
{
    private static readonly TimeSpan ClientErrorLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LagQueryTimeout = TimeSpan.FromSeconds(2);

    // The partitions whose lag the timer reports, and the lock that keeps a revoked one's series from coming back.
    private readonly Lock _lagGate = new();
    private readonly HashSet<TopicPartition> _lagPartitions = [];
    private int _updatingLag;

    /// <summary>Commits, for each partition, the offset after its unbroken prefix of terminal records, when it moved.</summary>
    private void Commit(IConsumer<byte[]?, byte[]?> consumer, IEnumerable<PartitionProgress> partitions)
    {
        List<(PartitionProgress Progress, TopicPartitionOffset Offset)>? due = null;
        foreach (var progress in partitions)
        {
            if (progress.TakeCommittable() is { } offset)
            {
                (due ??= []).Add((progress, offset));
            }
        }
        if (due is null)
        {
            return;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            consumer.Commit(due.Select(d => d.Offset));
            _instruments.Committed(Stopwatch.GetElapsedTime(started));
            foreach (var (progress, offset) in due)
            {
                progress.Committed(offset.Offset.Value);
            }
        }
        catch (KafkaException e)
        {
            // Tried again at the next interval (or revocation) with the same or a later offset: a failed commit delays
            // the commit, and only a crash before the next one turns it into re-read records.
            _instruments.CommitFailed();
            _context.Logger.Warning("{ComponentId}: committing offsets failed ({Reason}); trying again in {Interval}",
                _context.ComponentId, e.Error.Reason, settings.CommitInterval);
        }
    }

    private void Assigned(List<TopicPartition> partitions)
    {
        lock (_lagGate)
        {
            foreach (var partition in partitions)
            {
                _progress[partition] = new PartitionProgress(partition);
                _lagPartitions.Add(partition);
            }
        }
        _instruments.Rebalanced("assigned", partitions.Count);
        _context.Logger.Information("{ComponentId}: assigned {Partitions}", _context.ComponentId, string.Join(", ", partitions));
    }

    /// <summary>
    /// The group takes <paramref name="partitions"/> away (a member joined or left, or this one is closing): waits up to
    /// drain_timeout for their records still in the pipeline, commits what is terminal, and lets them go. What is not
    /// terminal by then is read again by the next owner: duplicates, never loss.
    /// </summary>
    private void Revoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions)
    {
        var revoked = partitions.Select(p => _progress.GetValueOrDefault(p.TopicPartition)).OfType<PartitionProgress>().ToList();
        var pending = revoked.SelectMany(p => p.Pending).ToArray();
        if (pending.Length > 0 && !Task.WaitAll(pending, settings.DrainTimeout))
        {
            _context.Logger.Warning("{ComponentId}: {Runs} runs of records of revoked partitions were not done within drain_timeout {Timeout}; their next owner reads them again",
                _context.ComponentId, pending.Count(t => !t.IsCompleted), settings.DrainTimeout);
        }
        Commit(consumer, revoked);
        Forget(partitions.Select(p => p.TopicPartition));
        _instruments.Rebalanced("revoked", partitions.Count);
        _context.Logger.Information("{ComponentId}: revoked {Partitions}", _context.ComponentId, string.Join(", ", partitions.Select(p => p.TopicPartition)));
    }

    /// <summary>The partitions went to another member already (this one missed the session timeout): nothing may be committed.</summary>
    private void Lost(List<TopicPartitionOffset> partitions)
    {
        Forget(partitions.Select(p => p.TopicPartition));
        _instruments.Rebalanced("lost", partitions.Count);
        _context.Logger.Warning("{ComponentId}: lost {Partitions} to the group (no heartbeat within the session timeout, or no poll within max.poll.interval.ms); their records since the last commit are read again by their next owner",
            _context.ComponentId, string.Join(", ", partitions.Select(p => p.TopicPartition)));
    }

    private void Forget(IEnumerable<TopicPartition> partitions)
    {
        lock (_lagGate)
        {
            foreach (var partition in partitions)
            {
                if (_progress.Remove(partition))
                {
                    _lagPartitions.Remove(partition);
                    _instruments.RemoveLag(partition.Topic, partition.Partition.Value);
                }
            }
        }
    }

    /// <summary>
    /// Lag per assigned partition: the broker's high watermark (asked, since the client stops fetching, and so stops
    /// learning it, once its queue is full under backpressure) minus the offset this consumer has handed on up to.
    /// Runs on a timer thread; the consumer's calls used here are safe from any thread.
    /// </summary>
    private void UpdateLag(IConsumer<byte[]?, byte[]?> consumer)
    {
        if (Interlocked.Exchange(ref _updatingLag, 1) == 1)
        {
            return;
        }
        try
        {
            TopicPartition[] partitions;
            lock (_lagGate)
            {
                partitions = [.. _lagPartitions];
            }
            foreach (var partition in partitions)
            {
                var watermarks = consumer.QueryWatermarkOffsets(partition, LagQueryTimeout);
                var from = StartOf(consumer, partition, watermarks.Low.Value);
                lock (_lagGate)
                {
                    if (watermarks.High.Value >= 0 && _lagPartitions.Contains(partition))
                    {
                        _instruments.SetLag(partition.Topic, partition.Partition.Value, Math.Max(0, watermarks.High.Value - from));
                    }
                }
            }
        }
        catch (Exception e) when (e is KafkaException or ObjectDisposedException or InvalidOperationException)
        {
            // The brokers did not answer in time, or the consumer is closing: the next tick tries again.
            _context.Logger.Debug(e, "{ComponentId}: the lag update failed; trying again in {Interval}", _context.ComponentId, LagInterval);
        }
        finally
        {
            Volatile.Write(ref _updatingLag, 0);
        }
    }

    /// <summary>
    /// Where this consumer stands in a partition: after the last record it handed on; before the first (a partition
    /// just assigned, or one a full pipeline has not let it reach yet) the committed offset, or where
    /// auto_offset_reset starts a partition without one.
    /// </summary>
    private long StartOf(IConsumer<byte[]?, byte[]?> consumer, TopicPartition partition, long low)
    {
        PartitionProgress? progress;
        lock (_lagGate)
        {
            progress = _progress.GetValueOrDefault(partition);
        }
        if (progress?.NextOffset is >= 0 and var handedOn)
        {
            return handedOn;
        }
        var committed = consumer.Committed([partition], LagQueryTimeout).Single().Offset.Value;
        if (committed >= 0)
        {
            return committed;
        }
        return settings.Consumer.AutoOffsetReset == AutoOffsetReset.Latest ? long.MaxValue : Math.Max(0, low);
    }

    private void LogClientError(Error error)
    {
        // librdkafka reports a broker it cannot reach again and again while it retries; one line per interval says so.
        var now = Stopwatch.GetTimestamp();
        if (!error.IsFatal && Stopwatch.GetElapsedTime(_lastErrorLog, now) < ClientErrorLogInterval)
        {
            return;
        }
        _lastErrorLog = now;
        if (error.IsFatal)
        {
            _context.Logger.Error("{ComponentId}: the Kafka consumer failed for good: {Reason}", _context.ComponentId, error.Reason);
        }
        else
        {
            _context.Logger.Warning("{ComponentId}: Kafka: {Reason} (retrying; logged at most every {Interval})", _context.ComponentId, error.Reason, ClientErrorLogInterval);
        }
    }

    private void LogClientMessage(LogMessage message)
    {
        if (message.Level <= SyslogLevel.Warning)
        {
            LogClientError(new Error(ErrorCode.Unknown, message.Message));
        }
    }
}
