using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// The front door of one shipper's Serilog batching queue. It admits an event only while fewer than the queue limit
/// are queued or in flight, so a slow or unreachable backend makes the pipeline drop log events (counted), never wait.
/// </summary>
/// <remarks>
/// Serilog's batching sink already refuses events beyond its queue limit, but silently; this gate keeps
/// the same bound with a count, so pipeline_telemetry_dropped_total{signal="logs"} tells the operator. The shipper
/// reports each finished batch through <see cref="Completed"/>; batches Serilog gives up on arrive as permanent
/// failures through <see cref="ILoggingFailureListener"/>.
/// </remarks>
internal sealed class ShippingQueueGate : ILogEventSink, ILoggingFailureListener, IDisposable, IAsyncDisposable
{
    private readonly int _limit;
    private readonly LogExportCounters _counters;
    private ILogEventSink? _queue;
    private int _inFlight;

    public ShippingQueueGate(int limit, LogExportCounters counters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
        _counters = counters;
    }

    /// <summary>Events admitted and not yet delivered or dropped.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Set once, before logging starts: Serilog's batching queue (built by <c>WriteTo.Sink(batched, options)</c>).</summary>
    public void Attach(ILogEventSink queue)
    {
        if (queue is not ISetLoggingFailureListener listens)
        {
            throw new ArgumentException($"expected Serilog's batching sink, which reports failures, found {queue.GetType().Name}", nameof(queue));
        }
        _queue = queue;
        listens.SetFailureListener(this);
    }

    public void Emit(LogEvent logEvent)
    {
        if (Interlocked.Increment(ref _inFlight) > _limit)
        {
            Interlocked.Decrement(ref _inFlight);
            _counters.AddDropped(1);
            return;
        }
        _queue!.Emit(logEvent);
    }

    /// <summary>A batch left the queue for good (delivered, or rejected item by item by the backend).</summary>
    public void Completed(int count) => Interlocked.Add(ref _inFlight, -count);

    public void OnLoggingFailed(object sender, LoggingFailureKind kind, string message, IReadOnlyCollection<LogEvent>? events, Exception? exception)
    {
        SelfLog.FailureListener.OnLoggingFailed(sender, kind, message, events, exception);
        // Temporary failures keep their batch for the next retry; only permanent and final ones lose events.
        if (kind != LoggingFailureKind.Temporary && events is { Count: > 0 })
        {
            _counters.AddDropped(events.Count);
            Completed(events.Count);
        }
    }

    public void Dispose() => (_queue as IDisposable)?.Dispose();

    public ValueTask DisposeAsync() => _queue is IAsyncDisposable queue ? queue.DisposeAsync() : ValueTask.CompletedTask;
}
