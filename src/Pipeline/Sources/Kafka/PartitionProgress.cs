using Confluent.Kafka;

namespace Pipeline.Sources.Kafka;

/// <summary>
/// What a kafka source handed on from one assigned partition and has not committed: its runs of records, in offset
/// order, each with the acknowledgement that completes once every event of the run is terminal (delivered, buffered,
/// dropped on purpose or dead-lettered). The offset to commit is the one after the last run of the unbroken prefix of
/// completed runs, so a record is never committed before every record before it is done.
/// </summary>
/// <remarks>
/// Touched only by the source's consumer thread (the rebalance callbacks run on it too), but for
/// <see cref="NextOffset"/>, which the lag timer reads.
/// </remarks>
internal sealed class PartitionProgress(TopicPartition partition)
{
    private readonly Queue<(Task Done, long LastOffset)> _runs = new();
    private long _committable = Offset.Unset.Value;
    private long _committed = Offset.Unset.Value;
    private long _nextOffset = Offset.Unset.Value;

    public TopicPartition Partition { get; } = partition;

    /// <summary>Records up to <paramref name="lastOffset"/> were handed on; <paramref name="done"/> completes when they are terminal.</summary>
    public void HandedOn(Task done, long lastOffset)
    {
        _runs.Enqueue((done, lastOffset));
        Volatile.Write(ref _nextOffset, lastOffset + 1);
    }

    /// <summary>
    /// The offset after the last record handed on; unset before the first. Not the client's position, which runs
    /// ahead by what it prefetched while the pipeline held this consumer back.
    /// </summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>The runs not yet terminal.</summary>
    public Task[] Pending => [.. _runs.Select(run => run.Done).Where(done => !done.IsCompleted)];

    /// <summary>The offset to commit now (the next one to read), when completed runs moved it past the last commit.</summary>
    public TopicPartitionOffset? TakeCommittable()
    {
        while (_runs.TryPeek(out var head) && head.Done.IsCompleted)
        {
            _runs.Dequeue();
            _committable = head.LastOffset + 1;
        }
        return _committable > _committed ? new TopicPartitionOffset(Partition, new Offset(_committable)) : null;
    }

    public void Committed(long offset) => _committed = Math.Max(_committed, offset);
}
