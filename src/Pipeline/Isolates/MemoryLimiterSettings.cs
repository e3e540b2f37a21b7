namespace Pipeline.Isolates;

/// <summary>
/// <c>memory_limiter:</c>, in the spirit of the OpenTelemetry Collector's processor of that name: above the soft limit
/// (the limit minus the spike allowance) sources refuse new input; above the limit a garbage collection is forced.
/// </summary>
public sealed class MemoryLimiterSettings
{
    public bool Enabled { get; set; } = true;

    /// <summary>The hard limit in bytes; null takes <see cref="LimitPercent"/> of the memory available to the process.</summary>
    public long? Limit { get; set; }

    /// <summary>The hard limit as a share of the memory available to the process (its container limit, or the GC's heap limit).</summary>
    public int LimitPercent { get; set; } = 80;

    /// <summary>Headroom below the limit for a burst between two checks, in bytes; null takes <see cref="SpikePercent"/> of the limit.</summary>
    public long? Spike { get; set; }

    public int SpikePercent { get; set; } = 20;

    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The limits in bytes for a process that may use <paramref name="available"/> bytes.</summary>
    public (long Hard, long Soft) Resolve(long available)
    {
        var hard = Limit ?? available / 100 * LimitPercent;
        var spike = Spike ?? hard / 100 * SpikePercent;
        return (hard, Math.Max(1, hard - spike));
    }
}
