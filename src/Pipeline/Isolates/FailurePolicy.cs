using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// The runtime's one failure policy, for processor and sink isolates alike: an attempt that throws is retried after
/// a jittered, capped exponential backoff (<see cref="RetryBackoff"/>), with a span event and a (rate-limited) log
/// line per failure; a <see cref="PermanentFailureException"/>, or running out of attempts or time, dead-letters the
/// work with the exception as its reason. Components just throw: this is where retries, dead letters and the logs
/// about them live.
/// </summary>
/// <remarks>
/// <para>How long to retry (OpenTelemetry's <c>retry_on_failure</c> is the model): a sink retries a retryable failure
/// (<see cref="IsRetryable"/>: connection refused, timeouts, 429 and 5xx answers) for as long as it takes by default,
/// so an outage fills its buffer and backpressure builds behind it instead of dead-lettering what was accepted;
/// <c>max_attempts</c> and <c>retry_max_elapsed</c> bound that where the user sets them. Any other failure (a bug,
/// more likely) gets <see cref="DefaultAttempts"/> tries unless <c>max_attempts</c> says otherwise, and a processor's
/// failures always do: they come from the event or the code, and waiting does not fix them.</para>
/// <para>Two failures are not this policy's: the hard stop (cancellation after the shutdown timeout), which the
/// topology counts as undrained, and <see cref="InstanceCorruptedException"/>, which crashes the loop so the
/// supervisor replaces the instance; the crash then charges the work an attempt through <see cref="IsExhausted"/>.</para>
/// </remarks>
internal sealed class FailurePolicy(string componentId, int? maxAttempts, RetryBackoff backoff, TimeProvider time, ILogger logger)
{
    /// <summary>Tries of a failure that is not retried as an outage, unless <c>max_attempts</c> says otherwise.</summary>
    public const int DefaultAttempts = 3;

    /// <summary>Per-event failure lines of this component, rate-limited; the counters still count every failure.</summary>
    private readonly FailureLogLimiter _lines = FailureLogLimiter.CreateDefault(time);

    /// <summary>True for sinks: retryable failures are retried without an attempt limit unless max_attempts is set.</summary>
    public bool RetriesOutages { get; init; }

    /// <summary>Retrying stops once this long has passed since the first attempt started; null for no limit.</summary>
    public TimeSpan? MaxElapsed { get; init; }

    /// <summary>The exception filter of every isolate: true for a failure this policy handles.</summary>
    public static bool Handles(Exception ex, CancellationToken stop)
        => ex is not InstanceCorruptedException && !(ex is OperationCanceledException && stop.IsCancellationRequested);

    /// <summary>
    /// A failure that goes away on its own: the component said so, the connection failed, or it timed out (an
    /// <see cref="OperationCanceledException"/> that is not the stop, as HttpClient's timeout is). An http sink's
    /// 429 and 5xx answers arrive as <see cref="HttpRequestException"/>; its other 4xx as permanent failures.
    /// </summary>
    public static bool IsRetryable(Exception ex)
        => ex is RetryableFailureException or HttpRequestException or TimeoutException or IOException or OperationCanceledException;

    /// <summary>How a failure is described in a dead-letter record and a span status.</summary>
    public static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    /// <summary>True when work at <paramref name="attempt"/> has no attempt left (after a crash, say).</summary>
    public bool IsExhausted(int attempt) => attempt >= (maxAttempts ?? DefaultAttempts);

    /// <summary>Runs <paramref name="work"/> until an attempt succeeds (true) or it is dead-lettered (false).</summary>
    public ValueTask<bool> RunAsync<TWork>(TWork work, CancellationToken stop)
        where TWork : IRetriedWork
    {
        // The first attempt outside any state machine: most attempts complete synchronously and succeed, and then
        // this costs a call (measured: the async wrapper was 4 % of a filter stage's CPU).
        var started = MaxElapsed is null ? 0 : time.GetTimestamp();
        ValueTask first;
        try
        {
            first = work.AttemptAsync(stop);
        }
        catch (Exception ex) when (Handles(ex, stop))
        {
            first = ValueTask.FromException(ex);
        }
        return first.IsCompletedSuccessfully ? new(true) : RunFromAsync(work, first, started, stop);
    }

    /// <summary>The rest of <see cref="RunAsync"/> once the first attempt did not succeed synchronously.</summary>
    /// <param name="started">When the first attempt started; read only when retry_max_elapsed is set (one clock read
    /// per event is not free on a processor's hot path), as OTel's max_elapsed_time counts a slow first timeout too.</param>
    private async ValueTask<bool> RunFromAsync<TWork>(TWork work, ValueTask pending, long started, CancellationToken stop)
        where TWork : IRetriedWork
    {
        while (true)
        {
            try
            {
                await pending.ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (Handles(ex, stop))
            {
                work.AttemptFailed();
                var attempt = work.Attempt;
                var permanent = ex is PermanentFailureException;
                var limit = AttemptsFor(ex);
                var delay = DelayAfter(attempt, ex);
                // Dead-lettered now when the next attempt would start past the limit: waiting first could not change the outcome.
                var outOfTime = MaxElapsed is { } maxElapsed && time.GetElapsedTime(started) + delay > maxElapsed;
                if (permanent || attempt >= limit || outOfTime)
                {
                    if (ShouldLog())
                    {
                        if (permanent)
                        {
                            // The component said what was wrong with the event: a stack trace would only point at the
                            // throw, and per event it buries everything else in the log.
                            logger.Error("{ComponentId} failed on {Work:l}; dead-lettering it (permanent failure): {Reason:l}",
                                componentId, work.Description, ex.Message);
                        }
                        else
                        {
                            logger.Error(ex, "{ComponentId} failed on {Work:l} at attempt {Attempt} of {MaxAttempts}; dead-lettering it{Why:l}",
                                componentId, work.Description, attempt, Describe(limit),
                                outOfTime ? $" (retry_max_elapsed {MaxElapsed} reached)" : "");
                        }
                    }
                    PipelineTracing.RecordException(work.Span, ex);
                    work.DeadLetter(outOfTime ? $"{Describe(ex)} (still failing when retry_max_elapsed {MaxElapsed} ran out)" : Describe(ex));
                    return false;
                }
                PipelineTracing.RecordRetry(work.Span, attempt, ex, delay);
                if (ShouldLog())
                {
                    logger.Warning(ex, "{ComponentId} failed on {Work:l} at attempt {Attempt} of {MaxAttempts}; retrying in {Delay}",
                        componentId, work.Description, attempt, Describe(limit), delay);
                }
                await Task.Delay(delay, time, stop).ConfigureAwait(false);
                work.StartNextAttempt();
            }
            try
            {
                pending = work.AttemptAsync(stop);
            }
            catch (Exception ex) when (Handles(ex, stop))
            {
                pending = ValueTask.FromException(ex);
            }
        }
    }

    /// <summary>
    /// The jittered backoff, or longer when the backend said when to come back (OTel's exporters honour Retry-After
    /// the same way), but never past <c>retry_max_backoff</c>: a Retry-After of an hour would otherwise leave the
    /// sink asleep long after the backend is back.
    /// </summary>
    private TimeSpan DelayAfter(int failedAttempt, Exception ex)
    {
        var delay = backoff.Delay(failedAttempt);
        return ex is RetryableFailureException { RetryAfter: { } after } && after > delay
            ? (after < backoff.MaxDelay ? after : backoff.MaxDelay)
            : delay;
    }

    private int AttemptsFor(Exception ex)
        => maxAttempts ?? (RetriesOutages && IsRetryable(ex) ? int.MaxValue : DefaultAttempts);

    private static string Describe(int limit) => limit == int.MaxValue ? "unlimited" : limit.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether this failure gets its line; first writes the summary of the lines left out before it.</summary>
    private bool ShouldLog()
    {
        if (!_lines.ShouldLog(out var suppressed))
        {
            return false;
        }
        if (suppressed > 0)
        {
            logger.Warning("{ComponentId}: {Suppressed} failure lines left out (at most {Lines} per {Interval} per component); its metrics count every failure",
                componentId, suppressed, FailureLogLimiter.DefaultLinesPerInterval, _lines.Interval);
        }
        return true;
    }
}
