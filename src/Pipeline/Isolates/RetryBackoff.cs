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
public sealed class RetryBackoff(TimeSpan first, Random random, TimeSpan? cap = null)
{
    /// <summary>The longest the runtime waits between two attempts or restarts unless <c>retry_max_backoff</c> says otherwise.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _cap = cap is { } c && c > TimeSpan.Zero ? c : Cap;

    /// <summary>The longest wait this backoff asks for (<c>retry_max_backoff</c>).</summary>
    public TimeSpan MaxDelay => _cap;

    /// <summary>A backoff whose randomness is shared and thread-safe, for production.</summary>
    public RetryBackoff(TimeSpan first, TimeSpan? cap = null)
        : this(first, Random.Shared, cap)
    {
    }

    /// <summary>The upper bound of the wait before retry <paramref name="retry"/> (1 for the first retry).</summary>
    public static TimeSpan Ceiling(TimeSpan first, int retry) => Ceiling(first, retry, Cap);

    /// <summary>The upper bound of the wait before retry <paramref name="retry"/>, with a cap of its own.</summary>
    public static TimeSpan Ceiling(TimeSpan first, int retry, TimeSpan cap)
    {
        if (first <= TimeSpan.Zero || retry < 1)
        {
            return TimeSpan.Zero;
        }
        // 2^20 times any sensible first delay is already past the cap; capping the shift avoids overflow.
        var factor = 1L << Math.Min(retry - 1, 20);
        return first.Ticks > cap.Ticks / factor ? cap : TimeSpan.FromTicks(Math.Min(first.Ticks * factor, cap.Ticks));
    }

    /// <summary>A random wait in [0, <see cref="Ceiling(TimeSpan, int, TimeSpan)"/>] before retry <paramref name="retry"/> (1 for the first).</summary>
    public TimeSpan Delay(int retry) => TimeSpan.FromTicks((long)(Ceiling(first, retry, _cap).Ticks * random.NextDouble()));
}
