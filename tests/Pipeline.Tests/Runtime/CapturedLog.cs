using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Pipeline.Tests.Runtime;

/// <summary>A Serilog sink that keeps every log event, so tests can assert on what was logged and wait for a line.</summary>
internal sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();
    private readonly Lock _lock = new();
    private readonly List<(Func<LogEvent, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public IReadOnlyList<LogEvent> Events => [.. _events];

    public void Emit(LogEvent logEvent)
    {
        _events.Enqueue(logEvent);
        lock (_lock)
        {
            foreach (var (match, seen) in _waiters)
            {
                if (match(logEvent))
                {
                    seen.TrySetResult();
                }
            }
        }
    }

    /// <summary>Completes once a matching line was logged (before or after this call).</summary>
    public Task WaitFor(Func<LogEvent, bool> match)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiters.Add((match, seen));
        }
        if (_events.Any(match))
        {
            seen.TrySetResult();
        }
        return seen.Task;
    }
}
