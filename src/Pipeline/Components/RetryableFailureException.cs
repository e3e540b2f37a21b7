namespace Pipeline.Components;

/// <summary>
/// A failure that goes away on its own (the backend is restarting, overloaded, or asked to slow down): a sink retries
/// it with backoff for as long as it takes, unless <c>max_attempts</c> or <c>retry_max_elapsed</c> bound it.
/// Connection failures (<see cref="HttpRequestException"/>, <see cref="IOException"/>) and timeouts are treated so
/// without it; throw this for a backend's own "try again later".
/// </summary>
public sealed class RetryableFailureException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// How long the backend asked to be left alone (an HTTP Retry-After): the next attempt waits at least this long,
    /// but no longer than <c>retry_max_backoff</c>.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }
}
