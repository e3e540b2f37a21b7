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

    public ValueTask<SendResult> SendWithinAsync(Event evt, ActivityContext traceContext, TimeSpan deadline, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _deadlines.Add(deadline);
        }
        if (WithinResult != SendResult.Accepted)
        {
            return ValueTask.FromResult(WithinResult);
        }
        return ValueTask.FromResult(TryAccept(evt, traceContext) ? SendResult.Accepted : SendResult.ShuttingDown);
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
