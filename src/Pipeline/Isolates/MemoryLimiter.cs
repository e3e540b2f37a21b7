using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// Refuses new input before the heap runs out, as the OpenTelemetry Collector's <c>memory_limiter</c> does: a timer
/// reads the managed heap every <c>check_interval</c>; above the soft limit <see cref="IsRefusing"/> turns true and the
/// sources refuse (the http source answers 503 with Retry-After before reading a body; sources that wait, wait);
/// above the hard limit it forces a collection first. The hot path reads one volatile bool.
/// </summary>
public sealed class MemoryLimiter : IDisposable
{
    private readonly Func<long> _measure;
    private readonly ILogger _logger;
    private readonly MemoryLimiterGauges? _gauges;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private TaskCompletionSource _accepting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _refusing;

    /// <param name="measure">The bytes in use; the managed heap (<see cref="GC.GetTotalMemory(bool)"/>) in production.</param>
    public MemoryLimiter(long hardLimit, long softLimit, TimeSpan checkInterval, ILogger logger, TimeProvider? time = null, Func<long>? measure = null, MemoryLimiterGauges? gauges = null)
    {
        HardLimit = hardLimit;
        SoftLimit = softLimit;
        _measure = measure ?? (() => GC.GetTotalMemory(forceFullCollection: false));
        _logger = logger;
        _gauges = gauges;
        _accepting.TrySetResult();
        _gauges?.SetLimits(hardLimit, softLimit);
        _timer = (time ?? TimeProvider.System).CreateTimer(_ => Check(), null, checkInterval, checkInterval);
    }

    public long HardLimit { get; }

    public long SoftLimit { get; }

    /// <summary>True while the heap is above the soft limit: sources refuse new input.</summary>
    public bool IsRefusing => _refusing;

    /// <summary>The memory the process may use: its container's limit or the GC heap limit (DOTNET_GCHeapHardLimit), else the machine's.</summary>
    public static long AvailableMemory => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    public static MemoryLimiter? Start(MemoryLimiterSettings settings, ILogger logger, MemoryLimiterGauges? gauges = null)
    {
        if (!settings.Enabled)
        {
            return null;
        }
        var (hard, soft) = settings.Resolve(AvailableMemory);
        logger.Information("Memory limiter: sources refuse input above {Soft} bytes of heap, a collection is forced above {Hard} ({Available} bytes available to the process)",
            soft, hard, AvailableMemory);
        return new MemoryLimiter(hard, soft, settings.CheckInterval, logger, gauges: gauges);
    }

    /// <summary>Completes once sources may send again (at once when they may now).</summary>
    public Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _accepting.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>One check, as the timer makes it.</summary>
    public void Check()
    {
        var used = _measure();
        if (used > SoftLimit)
        {
            // The heap as measured includes garbage not yet collected, and refusing input can stop the allocations
            // that would trigger a collection: collect, then decide. Above the hard limit, compact too. The event
            // pools are emptied first: what they keep after a burst is live to the collector.
            Pipeline.Events.EventMemory.Trim();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: used > HardLimit);
            used = _measure();
        }
        var refuse = used > SoftLimit;
        _gauges?.SetRefusing(refuse, used);
        if (refuse == _refusing)
        {
            return;
        }
        lock (_gate)
        {
            _refusing = refuse;
            if (refuse)
            {
                _accepting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _logger.Warning("Memory limiter: the heap holds {Used} bytes, above the soft limit of {Soft}; sources refuse new input until it drops", used, SoftLimit);
            }
            else
            {
                _accepting.TrySetResult();
                _logger.Information("Memory limiter: the heap is back under the soft limit ({Used} of {Soft} bytes); sources accept input again", used, SoftLimit);
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
