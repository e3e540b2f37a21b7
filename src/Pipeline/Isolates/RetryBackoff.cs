namespace Pipeline.Isolates;

/// <summary>
/// The wait before retry (or restart) number n, with full jitter: a uniformly random time between 0 and
/// min(<see cref="Cap"/>, first × 2^(n−1)).
/// </summary>
/// <remarks>
/// Full jitter, as Vector's retries and the AWS guidance ("Exponential Backoff And Jitter") recommend: when a
/// backend fails many isolates, sinks or nodes at once, un-jittered retries arrive in synchronized waves; spreading
/// each wait over the whole window spreads the load and, across many clients, finishes the work soonest.
/// </remarks>
public sealed class RetryBackoff(TimeSpan first, Random random)
{
    /// <summary>The longest the runtime ever waits between two attempts or restarts.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    /// <summary>A backoff whose randomness is shared and thread-safe, for production.</summary>
    public RetryBackoff(TimeSpan first)
        : this(first, Random.Shared)
    {
    }

    /// <summary>The upper bound of the wait before retry <paramref name="retry"/> (1 for the first retry).</summary>
    public static TimeSpan Ceiling(TimeSpan first, int retry)
    {
        if (first <= TimeSpan.Zero || retry < 1)
        {
            return TimeSpan.Zero;
        }
        // 2^20 times any sensible first delay is already past the cap; capping the shift avoids overflow.
        var factor = 1L << Math.Min(retry - 1, 20);
        return first.Ticks > Cap.Ticks / factor ? Cap : TimeSpan.FromTicks(Math.Min(first.Ticks * factor, Cap.Ticks));
    }

    /// <summary>A random wait in [0, <see cref="Ceiling"/>] before retry <paramref name="retry"/> (1 for the first).</summary>
    public TimeSpan Delay(int retry) => TimeSpan.FromTicks((long)(Ceiling(first, retry).Ticks * random.NextDouble()));
}
