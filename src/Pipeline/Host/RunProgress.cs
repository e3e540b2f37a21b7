using System.Diagnostics;
using Pipeline.Config;
using Pipeline.Sources.Generator;
using Pipeline.Topology;

namespace Pipeline.Host;

/// <summary>
/// What a batch job's operator sees: for a run that ends by itself (stdin to EOF, a generator with a count) a progress
/// line every <see cref="Interval"/>, and for every run one final count at exit. One timer wake-up per interval, nothing
/// per event: the counts are the counters the metrics already keep.
/// </summary>
internal static class RunProgress
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>True when every source finishes on its own, so the run is a job with an end rather than a service.</summary>
    public static bool IsFinite(PipelineConfig config)
        => config.Sources.All(s => s.Type == "stdin" || s.Options is GeneratorSourceConfig { Count: > 0 });

    /// <summary>Logs the totals every <see cref="Interval"/> until <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task ReportAsync(Func<EventTotals> totals, Serilog.ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        var previous = totals();
        var since = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = totals();
                var seconds = time.GetElapsedTime(since).TotalSeconds;
                since = time.GetTimestamp();
                logger.Information(
                    "Progress: events in {EventsIn}, sink deliveries {Delivered}, dead-lettered {DeadLettered}; {EventsPerSecond} events/s in",
                    now.In, now.Delivered, now.DeadLettered, Math.Round((now.In - previous.In) / Math.Max(seconds, 1e-3)));
                previous = now;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run ended; the final count follows.
        }
    }

    /// <summary>The final count, and whether the run failed because everything it took in was dead-lettered.</summary>
    /// <returns><see cref="ExitCodes.Failure"/> when every event was dead-lettered, else <see cref="ExitCodes.Ok"/>.</returns>
    public static int Finish(EventTotals totals, string? firstReason, string deadLetterPath, TimeSpan elapsed, Serilog.ILogger logger)
    {
        logger.Information(
            "Run finished after {ElapsedSeconds} s: events in {EventsIn}, sink deliveries {Delivered}, dead-lettered {DeadLettered} ({EventsPerSecond} events/s in)",
            Math.Round(elapsed.TotalSeconds, 1), totals.In, totals.Delivered, totals.DeadLettered,
            Math.Round(totals.In / Math.Max(elapsed.TotalSeconds, 1e-3)));
        if (!totals.EverythingDeadLettered)
        {
            return ExitCodes.Ok;
        }
        logger.Error(
            "Every event was dead-lettered ({DeadLettered} records for {EventsIn} events in, none delivered) to {DeadLetterFile}; the first: {FirstReason}",
            totals.DeadLettered, totals.In, deadLetterPath, firstReason ?? "(unknown)");
        return ExitCodes.Failure;
    }

    public static TimeSpan Since(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp);
}
