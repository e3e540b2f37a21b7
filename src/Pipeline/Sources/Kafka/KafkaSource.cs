using System.Diagnostics;
using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Sources.Kafka;

/// <summary>
/// A member of a Kafka consumer group. It hands each partition's records on in order, in runs of what one poll
/// returned, and commits a partition's offset only past records whose events are all terminal: at-least-once.
/// </summary>
/// <remarks>
/// <para>One dedicated thread owns the consumer: <c>Consume</c> blocks, and librdkafka runs the rebalance callbacks
/// inside it on the calling thread, which is what lets a revocation wait for the partition's records and commit them
/// before the partition is let go. Backpressure simply holds that thread in its send; the client keeps the group
/// membership with its own heartbeats until <c>max.poll.interval.ms</c> (5 minutes by default) passes without a
/// poll, when the group moves the partitions on and the records not committed are read again by their next owner.</para>
/// <para>Duplicates, never loss: after a crash, what was handed on since the last commit (at most
/// <c>commit_interval</c> of records, plus what was still in the pipeline) is read again.</para>
/// </remarks>
internal sealed partial class KafkaSource(KafkaSourceSettings settings) : ISource
{
    /// <summary>Records taken from one poll before they are handed on: bounds the arrays and a run's size.</summary>
    internal const int MaxRecordsPerPoll = 500;

    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(5);

    private readonly Dictionary<TopicPartition, PartitionProgress> _progress = [];
    private readonly List<ConsumeResult<byte[]?, byte[]?>> _polled = new(MaxRecordsPerPoll);
    private readonly Event[] _events = new Event[MaxRecordsPerPoll];
    private readonly ActivityContext[] _traceContexts = new ActivityContext[MaxRecordsPerPoll];
    private readonly long[] _offsets = new long[MaxRecordsPerPoll];
    private readonly FrameDecoder _decoder = new(settings.Codec);
    private ISourceContext _context = null!;
    private KafkaInstruments _instruments = null!;
    private long _nextCommit;
    private long _lastErrorLog;

    public Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        _context = context;
        _instruments = context.Metrics.CreateKafkaInstruments();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(stopping);
                finished.TrySetResult();
            }
            catch (Exception e)
            {
                finished.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "kafka " + context.ComponentId,
        };
        thread.Start();
        return finished.Task;
    }

    private void Run(CancellationToken stopping)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(settings.Consumer)
            .SetPartitionsAssignedHandler((_, partitions) => Assigned(partitions))
            .SetPartitionsRevokedHandler((c, partitions) => Revoked(c, partitions))
            .SetPartitionsLostHandler((_, partitions) => Lost(partitions))
            .SetErrorHandler((_, error) => LogClientError(error))
            .SetLogHandler((_, message) => LogClientMessage(message))
            .Build();
        consumer.Subscribe(settings.Topics);
        _nextCommit = Stopwatch.GetTimestamp() + Ticks(settings.CommitInterval);
        // On a timer, not in the consume loop: under backpressure the loop waits in its send, and that is exactly when
        // the lag must keep showing.
        var lagTimer = new Timer(_ => UpdateLag(consumer), null, LagInterval, LagInterval);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                Poll(consumer);
                if (_polled.Count > 0 && !HandOn(stopping))
                {
                    break;
                }
                var now = Stopwatch.GetTimestamp();
                if (now >= _nextCommit)
                {
                    Commit(consumer, _progress.Values);
                    _nextCommit = now + Ticks(settings.CommitInterval);
                }
            }
        }
        finally
        {
            using (var stopped = new ManualResetEvent(false))
            {
                // Waits for a lag update under way: it must not use the consumer while it closes.
                if (lagTimer.Dispose(stopped))
                {
                    stopped.WaitOne();
                }
            }
            // Leaving the group runs the revocation: it waits (up to drain_timeout) for what is still in the pipeline
            // while the stages drain, and commits it, so a clean stop re-reads nothing.
            try
            {
                consumer.Close();
            }
            catch (KafkaException e)
            {
                _context.Logger.Warning("{ComponentId}: leaving the consumer group failed ({Reason}); its partitions move on after the session timeout",
                    _context.ComponentId, e.Error.Reason);
            }
        }
    }

    /// <summary>Takes what one poll has: waits up to <see cref="PollTimeout"/> for the first record, then takes what is ready.</summary>
    private void Poll(IConsumer<byte[]?, byte[]?> consumer)
    {
        _polled.Clear();
        var wait = PollTimeout;
        while (_polled.Count < MaxRecordsPerPoll)
        {
            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = consumer.Consume(wait);
            }
            catch (ConsumeException e)
            {
                // A record the client could not read (a corrupt batch, a deserialisation failure): named, counted, and
                // skipped past by librdkafka, so it does not wedge the partition.
                _context.ReportInvalidInput($"{e.ConsumerRecord?.TopicPartitionOffset}: {e.Error.Reason}", e.ConsumerRecord?.Message?.Value ?? []);
                continue;
            }
            if (result is null || result.IsPartitionEOF)
            {
                return;
            }
            _polled.Add(result);
            wait = TimeSpan.Zero;
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
