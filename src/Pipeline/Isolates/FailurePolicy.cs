using Pipeline.Components;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// The runtime's one failure policy, for processor and sink isolates alike: an attempt that throws is retried after
/// a jittered backoff (<see cref="RetryBackoff"/>) up to <c>max_attempts</c>, with a span event and a log line per
/// failure; a <see cref="PermanentFailureException"/>, or the last attempt, dead-letters the work with the
/// exception as its reason. Components just throw: this is where retries, dead letters and the logs about them live.
/// </summary>
/// <remarks>
/// Two failures are not this policy's: the hard stop (cancellation after the shutdown timeout), which the topology
/// counts as undrained, and <see cref="InstanceCorruptedException"/>, which crashes the loop so the supervisor
/// replaces the instance; the crash then charges the work an attempt through <see cref="IsExhausted"/>.
/// </remarks>
internal sealed class FailurePolicy(string componentId, int maxAttempts, RetryBackoff backoff, TimeProvider time, ILogger logger)
{
    /// <summary>Per-event failure lines of this component, rate-limited; the counters still count every failure.</summary>
    private readonly FailureLogLimiter _lines = FailureLogLimiter.CreateDefault(time);

    /// <summary>The exception filter of every isolate: true for a failure this policy handles.</summary>
    public static bool Handles(Exception ex, CancellationToken stop)
        => ex is not InstanceCorruptedException && !(ex is OperationCanceledException && stop.IsCancellationRequested);

    /// <summary>How a failure is described in a dead-letter record and a span status.</summary>
    public static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    /// <summary>True when work at <paramref name="attempt"/> has no attempt left (after a crash, say).</summary>
    public bool IsExhausted(int attempt) => attempt >= maxAttempts;

    /// <summary>Runs <paramref name="work"/> until an attempt succeeds (true) or it is dead-lettered (false).</summary>
    public async ValueTask<bool> RunAsync<TWork>(TWork work, CancellationToken stop)
        where TWork : IRetriedWork
    {
        while (true)
        {
            try
            {
                await work.AttemptAsync(stop).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (Handles(ex, stop))
            {
                work.AttemptFailed();
                var attempt = work.Attempt;
                var permanent = ex is PermanentFailureException;
                if (permanent || attempt >= maxAttempts)
                {
                    if (ShouldLog())
                    {
                        logger.Error(ex, "{ComponentId} failed on {Work:l} at attempt {Attempt} of {MaxAttempts}; dead-lettering it{Permanent:l}",
                            componentId, work.Description, attempt, maxAttempts, permanent ? " (permanent failure)" : "");
                    }
                    PipelineTracing.RecordException(work.Span, ex);
                    work.DeadLetter(Describe(ex));
                    return false;
                }
                var delay = backoff.Delay(attempt);
                PipelineTracing.RecordRetry(work.Span, attempt, ex, delay);
                if (ShouldLog())
                {
                    logger.Warning(ex, "{ComponentId} failed on {Work:l} at attempt {Attempt} of {MaxAttempts}; retrying in {Delay}",
                        componentId, work.Description, attempt, maxAttempts, delay);
                }
                await Task.Delay(delay, time, stop).ConfigureAwait(false);
                work.StartNextAttempt();
            }
        }
    }

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
