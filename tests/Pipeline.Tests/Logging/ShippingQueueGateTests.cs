using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Prometheus;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Pipeline.Tests.Logging;

public sealed class ShippingQueueGateTests
{
    [Fact]
    public void Batches_the_queue_gives_up_on_are_counted_as_dropped_and_free_their_places()
    {
        var counters = new LogExportCounters(Metrics.NewCustomRegistry());
        var gate = new ShippingQueueGate(3, counters);
        var queue = new ListeningQueue();
        gate.Attach(queue);
        for (var i = 0; i < 3; i++)
        {
            gate.Emit(Event());
        }

        queue.Listener!.OnLoggingFailed(queue, LoggingFailureKind.Temporary, "failed emitting a batch", [Event(), Event()], null);
        Assert.Equal((3, 0d), (gate.InFlight, counters.Dropped));
        queue.Listener.OnLoggingFailed(queue, LoggingFailureKind.Permanent, "dropping the current batch", [Event(), Event()], null);
        Assert.Equal((1, 2d), (gate.InFlight, counters.Dropped));
        gate.Emit(Event());
        gate.Emit(Event());
        gate.Emit(Event());

        Assert.Equal(5, queue.Received);
        Assert.Equal(3d, counters.Dropped);
    }

    [Fact]
    public void A_queue_that_cannot_report_failures_is_refused()
    {
        var gate = new ShippingQueueGate(3, new LogExportCounters(Metrics.NewCustomRegistry()));

        var error = Assert.Throws<ArgumentException>(() => gate.Attach(new Runtime.CapturedLog()));

        Assert.Contains("expected Serilog's batching sink", error.Message, StringComparison.Ordinal);
    }

    private static LogEvent Event() => new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, new MessageTemplateParser().Parse("x"), []);

    private sealed class ListeningQueue : ILogEventSink, ISetLoggingFailureListener
    {
        public ILoggingFailureListener? Listener { get; private set; }

        public int Received { get; private set; }

        public void Emit(LogEvent logEvent) => Received++;

        public void SetFailureListener(ILoggingFailureListener failureListener) => Listener = failureListener;
    }
}
