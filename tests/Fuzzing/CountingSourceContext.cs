using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Fuzzing;

/// <summary>
/// The http source's view of a pipeline that takes everything at once: records, per request, where each sent event
/// came from, its trace context and each dead-lettered input, and releases the events (a fuzz run sends millions).
/// </summary>
internal sealed class CountingSourceContext : ISourceContext
{
    private readonly Lock _gate = new();
    private readonly List<(long Position, ActivityContext Trace)> _sent = [];
    private readonly List<string> _invalid = [];
    private readonly List<Exception> _failures = [];

    public string ComponentId => "fuzzed_http";

    public Serilog.ILogger Logger { get; } = Serilog.Core.Logger.None;

    public bool MemoryLimited => false;

    public IReadOnlyList<(long Position, ActivityContext Trace)> Sent => Locked(() => _sent.ToArray());

    public IReadOnlyList<string> Invalid => Locked(() => _invalid.ToArray());

    public IReadOnlyList<Exception> Failures => Locked(() => _failures.ToArray());

    /// <summary>Forgets the previous request's records; requests are sent one at a time.</summary>
    public void Clear() => Locked(() =>
    {
        _sent.Clear();
        _invalid.Clear();
        _failures.Clear();
        return 0;
    });

    public ValueTask<bool> SendAsync(Event evt, ActivityContext traceContext, CancellationToken cancellationToken)
        => ValueTask.FromResult(Take(evt, traceContext, 0));

    public ValueTask<SendResult> SendWithinAsync(Event evt, ActivityContext traceContext, TimeSpan deadline, CancellationToken cancellationToken)
        => ValueTask.FromResult(Take(evt, traceContext, 0) ? SendResult.Accepted : SendResult.ShuttingDown);

    public ValueTask<SendResult> SendWithinAsync(
        Event evt, ActivityContext traceContext, TimeSpan deadline, SourceBatch? batch, long position, CancellationToken cancellationToken)
        => ValueTask.FromResult(Take(evt, traceContext, position) ? SendResult.Accepted : SendResult.ShuttingDown);

    public SourceBatch? BeginBatch() => null;

    public void ReportInvalidInput(string reason, ReadOnlySpan<byte> raw) => Locked(() =>
    {
        _invalid.Add(reason);
        return 0;
    });

    public void ReportRefused(string reason) => Locked(() =>
    {
        _failures.Add(new InvalidOperationException("refused: " + reason));
        return 0;
    });

    public void ReportRequestFailed(Exception error, string? traceId) => Locked(() =>
    {
        _failures.Add(error);
        return 0;
    });

    private bool Take(Event evt, ActivityContext traceContext, long position)
    {
        Locked(() =>
        {
            _sent.Add((position, traceContext));
            return 0;
        });
        evt.Release();
        return true;
    }

    private T Locked<T>(Func<T> action)
    {
        lock (_gate)
        {
            return action();
        }
    }
}
