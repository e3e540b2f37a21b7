namespace Pipeline.Isolates;

/// <summary>The delay before retry number n: the first delay, doubled for each further retry, capped.</summary>
public static class ExponentialBackoff
{
    /// <summary>The longest the runtime ever waits between two attempts or restarts.</summary>
    public static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(30);

    /// <param name="first">The delay before the first retry.</param>
    /// <param name="retry">1 for the first retry, 2 for the second, …</param>
    public static TimeSpan Delay(TimeSpan first, int retry)
    {
        if (first <= TimeSpan.Zero || retry < 1)
        {
            return TimeSpan.Zero;
        }
        // 2^20 times any sensible first delay is already past the ceiling; capping the shift avoids overflow.
        var factor = 1L << Math.Min(retry - 1, 20);
        var ticks = first.Ticks > Ceiling.Ticks / factor ? Ceiling.Ticks : first.Ticks * factor;
        return TimeSpan.FromTicks(Math.Min(ticks, Ceiling.Ticks));
    }
}
