using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.Io;

/// <summary>Records what a source sends and reports; answers sends as the test says.</summary>
internal sealed class FakeSourceContext : ISourceContext
{
    private readonly Lock _gate = new();
    private readonly List<SentEvent> _sent = [];
    private readonly List<InvalidInput> _invalid = [];
    private readonly List<TimeSpan> _deadlines = [];

    public string ComponentId => "test_source";

    public Serilog.ILogger Logger { get; } = Serilog.Core.Logger.None;

    /// <summary>One registry for the test's life, so that what the source counts can be read back.</summary>
    public Pipeline.Telemetry.PipelineMetrics PipelineMetrics { get; } = Pipeline.Telemetry.PipelineMetrics.CreateIsolated();

    public Pipeline.Telemetry.ComponentMetrics Metrics => PipelineMetrics.ForComponent("test", ComponentId, "source");

    /// <summary>What <see cref="ISourceContext.ConsumersParse"/> answers.</summary>
    public bool ConsumersParse { get; set; }

    /// <summary>What <see cref="SendWithinAsync"/> answers.</summary>
    public SendResult WithinResult { get; set; } = SendResult.Accepted;

    /// <summary>When set, sends after this many accepted events report that the topology is shutting down.</summary>
    public int? ShutDownAfter { get; set; }

    public IReadOnlyList<SentEvent> Sent
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    public IReadOnlyList<InvalidInput> Invalid
    {
        get
        {
            lock (_gate)
            {
                return [.. _invalid];
            }
        }
    }

    public IReadOnlyList<TimeSpan> Deadlines
    {
        get
        {
            lock (_gate)
            {
                return [.. _deadlines];
            }
        }
    }

    public ValueTask<bool> SendAsync(Event evt, ActivityContext traceContext, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(TryAccept(evt, traceContext));
    }

    public async ValueTask<SendResult> SendWithinAsync(Event evt, ActivityContext traceContext, TimeSpan deadline, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (SendGate is { } gate)
        {
            _sendEntered.TrySetResult();
            await gate.WaitAsync(cancellationToken);
        }
        lock (_gate)
        {
            _deadlines.Add(deadline);
        }
        if (WithinResult != SendResult.Accepted)
        {
            return WithinResult;
        }
        return TryAccept(evt, traceContext) ? SendResult.Accepted : SendResult.ShuttingDown;
    }

    /// <summary>What <see cref="MemoryLimited"/> answers.</summary>
    public bool MemoryLimited { get; set; }

    public List<string> Refused { get; } = [];

    public List<(Exception Error, string? TraceId)> RequestFailures { get; } = [];

    /// <summary>When set, sends wait for it (the pipeline is slow to take them); <see cref="SendEntered"/> says one is waiting.</summary>
    public Task? SendGate { get; set; }

    private readonly TaskCompletionSource _sendEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task SendEntered => _sendEntered.Task;

    /// <summary>When set, every send throws it (a bug in the send path, as the source sees it).</summary>
    public Exception? ThrowOnSend { get; set; }

    public void ReportRefused(string reason)
    {
        lock (_gate)
        {
            Refused.Add(reason);
        }
    }

    public void ReportRequestFailed(Exception error, string? traceId)
    {
        lock (_gate)
        {
            RequestFailures.Add((error, traceId));
        }
    }

    /// <summary>Acknowledgements are off here: sources take the path they take without them.</summary>
    public SourceBatch? BeginBatch() => null;

    public async ValueTask<SendResult> SendWithinAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, CancellationToken cancellationToken)
        => deadline == Timeout.InfiniteTimeSpan
            ? await SendAsync(evt, traceContext, cancellationToken).ConfigureAwait(false) ? SendResult.Accepted : SendResult.ShuttingDown
            : await SendWithinAsync(evt, traceContext, deadline, cancellationToken).ConfigureAwait(false);

    public void ReportInvalidInput(string reason, ReadOnlySpan<byte> raw)
    {
        lock (_gate)
        {
            _invalid.Add(new InvalidInput(reason, raw.ToArray()));
        }
    }

    private bool TryAccept(Event evt, ActivityContext traceContext)
    {
        if (ThrowOnSend is { } error)
        {
            throw error;
        }
        lock (_gate)
        {
            if (_sent.Count >= ShutDownAfter)
            {
                return false;
            }
            _sent.Add(new SentEvent(evt, traceContext));
            return true;
        }
    }
}
