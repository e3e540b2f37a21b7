using System.Collections.Concurrent;
using System.Globalization;

namespace Pipeline.Processors.Script;

/// <summary>
/// The dedicated thread that owns one isolate's script runtime for its whole life: it creates it, runs every call on
/// it and disposes it. V8 runs far slower when a runtime is entered from changing threads (thread-pool continuations
/// would do that), so the isolate's loop hands each batch here and awaits the answer.
/// </summary>
/// <remarks>
/// The CPU-time watchdog is a timer armed per call at the limit: wall-clock time is at least CPU time, so when it fires
/// the call has used the limit or less; it then reads the thread's CPU clock and either interrupts the runtime or
/// sleeps for what is left. Nothing wakes up while no call runs.
/// </remarks>
internal sealed class ScriptThread : IDisposable
{
    /// <summary>
    /// V8 sizes its stack limit below the thread's current position and Jint recurses on the managed stack: a thread
    /// of its own with room for both, rather than the runtime's default for secondary threads.
    /// </summary>
    private const int StackBytes = 16 * 1024 * 1024;

    private readonly BlockingCollection<Action> _work = [];
    private readonly TimeSpan _cpuLimit;
    private readonly Timer _watchdog;
    private readonly Lock _gate = new();
    private int _disposed;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Guarded by _gate: the call the watchdog watches.
    private ThreadCpuClock? _clock;
    private IScriptRuntime? _watched;
    private TimeSpan _callStarted;
    private bool _interrupted;

    public ScriptThread(string name, TimeSpan cpuLimit)
    {
        _cpuLimit = cpuLimit;
        _watchdog = new Timer(static state => ((ScriptThread)state!).CheckCpuTime(), this, Timeout.Infinite, Timeout.Infinite);
        var thread = new Thread(Loop, StackBytes) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>Completes when the thread has run everything handed to it before <see cref="Dispose"/> and ended.</summary>
    public Task Exited => _exited.Task;

    /// <summary>True when the last watched call was interrupted at the CPU-time limit, even if it finished first.</summary>
    public bool LastCallInterrupted { get; private set; }

    /// <summary>
    /// Runs <paramref name="work"/> on this thread; with <paramref name="watched"/>, under the CPU-time limit (an
    /// interrupted call throws <see cref="ScriptLimitException"/>). The continuation never runs on this thread.
    /// </summary>
    public Task<T> RunAsync<T>(Func<T> work, IScriptRuntime? watched)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var item = () =>
        {
            Arm(watched);
            try
            {
                answer.SetResult(work());
            }
            catch (Exception ex)
            {
                answer.SetException(Disarm() ? CpuTimeExceeded(ex) : ex);
                return;
            }
            Disarm();
        };
        try
        {
            _work.Add(item);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            answer.SetException(new ObjectDisposedException(nameof(ScriptThread)));
        }
        return answer.Task;
    }

    /// <summary>Ends the thread once the work already handed to it is done (a runtime's disposal, say).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _work.CompleteAdding();
        _watchdog.Dispose();
    }

    private void Loop()
    {
        lock (_gate)
        {
            _clock = ThreadCpuClock.ForCurrentThread();
        }
        try
        {
            foreach (var item in _work.GetConsumingEnumerable())
            {
                item();
            }
            _work.Dispose();
        }
        finally
        {
            _exited.TrySetResult();
        }
    }

    private void Arm(IScriptRuntime? watched)
    {
        if (watched is null)
        {
            return;
        }
        lock (_gate)
        {
            _watched = watched;
            _interrupted = false;
            _callStarted = _clock!.Read();
            _watchdog.Change(_cpuLimit, Timeout.InfiniteTimeSpan);
        }
    }

    /// <returns>True when the watchdog interrupted the call.</returns>
    private bool Disarm()
    {
        lock (_gate)
        {
            if (_watched is null)
            {
                return false;
            }
            _watched = null;
            _watchdog.Change(Timeout.Infinite, Timeout.Infinite);
            LastCallInterrupted = _interrupted;
            return _interrupted;
        }
    }

    private void CheckCpuTime()
    {
        lock (_gate)
        {
            if (_watched is null || _interrupted)
            {
                return;
            }
            var used = _clock!.Read() - _callStarted;
            if (used >= _cpuLimit)
            {
                _interrupted = true;
                _watched.Interrupt();
                return;
            }
            _watchdog.Change(_cpuLimit - used, Timeout.InfiniteTimeSpan);
        }
    }

    private ScriptLimitException CpuTimeExceeded(Exception interrupted) => new(
        Telemetry.ScriptInstruments.CpuTimeLimit,
        string.Create(CultureInfo.InvariantCulture, $"the script ran past cpu_time_limit ({_cpuLimit.TotalMilliseconds:0} ms of CPU time in one call) and was interrupted"),
        interrupted);
}
