using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// A source at run time: a fresh <see cref="ISource"/> from its factory, run until it returns on its own or the
/// topology stops; if it throws, it is replaced and restarted with jittered exponential backoff.
/// </summary>
/// <param name="restartWindow">A source that ran this long without failing starts its backoff afresh.</param>
internal sealed class SupervisedSource(
    string id,
    string type,
    ISourceFactory factory,
    RetryBackoff backoff,
    TimeSpan restartWindow,
    ComponentCounters counters,
    ComponentOutput output,
    ILogger logger,
    ComponentTracer tracer)
{
    public string Id => id;

    public string Type => type;

    public ComponentCounters Counters => counters;

    public ComponentOutput Output => output;

    /// <summary>The source's own default when the config does not set <c>acknowledgements</c>.</summary>
    public bool AcknowledgementsByDefault => factory.AcknowledgementsByDefault;

    /// <summary>The ingest spans of this source, and the sampling decision for its events.</summary>
    public ComponentTracer Tracer => tracer;

    public Task Run { get; private set; } = Task.CompletedTask;

    public bool HasFinished => Run.IsCompleted;

    /// <summary>
    /// False while a source that receives requests has not reported that it listens: the service is not ready yet.
    /// True for every other source, and for one that finished (a finished source says nothing about readiness).
    /// </summary>
    public bool IsListeningOrNeedNot => !factory.ReceivesRequests || HasFinished || _context is not SourceContext { IsListening: false };

    private ISourceContext? _context;

    public void Start(ISourceContext context, CancellationToken stopping)
    {
        _context = context;
        Run = Task.Run(() => RunAsync(context, stopping), CancellationToken.None);
    }

    private async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                (context as SourceContext)?.ForgetListening();
                var source = factory.Create();
                await source.RunAsync(context, stopping).ConfigureAwait(false);
                if (!stopping.IsCancellationRequested)
                {
                    logger.Information("Source {ComponentId} finished on its own", Id);
                }
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A source that ran fine for a whole restart window starts its backoff afresh.
                failures = Stopwatch.GetElapsedTime(started) > restartWindow ? 1 : failures + 1;
                var delay = backoff.Delay(failures);
                counters.SourceFailures.Inc();
                counters.Metrics.Restarts.Inc();
                logger.Error(ex, "Source {ComponentId} failed; restarting it in {Delay} (failure {Failures} in a row)", Id, delay, failures);
                try
                {
                    await Task.Delay(delay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
