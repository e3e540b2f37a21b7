using Confluent.Kafka;
using Pipeline.Components;

namespace Pipeline.Sinks.Kafka;

/// <summary>
/// Counts one batch's delivery reports down to a single task, and collects the failures by index. The handler for
/// index i is made once and reused by every later batch, so producing a record allocates nothing here; that is safe
/// because a batch's reports have all arrived before the next batch starts, and a batch abandoned with reports still
/// due (a cancelled write) leaves this instance behind for a new one.
/// </summary>
internal sealed class KafkaBatchDelivery
{
    private readonly List<Action<DeliveryReport<byte[], byte[]>>> _handlers = [];

    // Guarded by itself: reports arrive on librdkafka's poll thread while the isolate records produce-time failures.
    private readonly List<EventDeliveryFailure> _failures = [];

    // Records whose outcome is still due, plus one held until the whole batch was handed to librdkafka.
    private int _pending;
    private TaskCompletionSource _done = new();

    /// <summary>Starts a batch of <paramref name="count"/> records.</summary>
    public void Begin(int count)
    {
        _failures.Clear();
        // Continuations must not run on librdkafka's poll thread, which delivers every isolate's reports.
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending = count + 1;
        while (_handlers.Count < count)
        {
            var index = _handlers.Count;
            _handlers.Add(report => OnReport(index, report));
        }
    }

    public Action<DeliveryReport<byte[], byte[]>> HandlerFor(int index) => _handlers[index];

    /// <summary>Records that the record at <paramref name="index"/> will not be delivered.</summary>
    public void Fail(int index, string reason, bool retryable)
    {
        lock (_failures)
        {
            _failures.Add(new EventDeliveryFailure(index, reason, retryable));
        }
        Arrive();
    }

    /// <summary>Every record is with librdkafka (or failed): the task completes with the last report.</summary>
    public Task SealAsync()
    {
        Arrive();
        return _done.Task;
    }

    /// <summary>The failures, by index; read once the task of <see cref="SealAsync"/> has completed.</summary>
    public EventDeliveryFailure[] Failures()
    {
        lock (_failures)
        {
            var failures = _failures.ToArray();
            Array.Sort(failures, (a, b) => a.Index.CompareTo(b.Index));
            return failures;
        }
    }

    public bool AnyFailed
    {
        get
        {
            lock (_failures)
            {
                return _failures.Count > 0;
            }
        }
    }

    private void OnReport(int index, DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Fail(index, KafkaDeliveryErrors.Describe(report.Error, report.Topic), KafkaDeliveryErrors.IsRetryable(report.Error.Code));
            return;
        }
        Arrive();
    }

    private void Arrive()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _done.TrySetResult();
        }
    }
}
