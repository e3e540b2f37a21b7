using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>
/// Failure on purpose, for a game day: an operator (or the integration suite) points a copy of the pipeline at it to
/// see the alerts fire, the dashboards show the errors and the runbooks hold, without breaking a real backend.
/// </summary>
[Component("fault", "Injects failures on purpose, to rehearse alerts, dashboards and runbooks: every Nth event fails, or crashes its isolate.")]
public sealed class FaultConfig : IProcessorConfig
{
    [Option("Every Nth event an isolate handles fails with an error; the failure policy retries it, then dead-letters it. 0: never.", Example = "100")]
    public int FailEvery { get; set; }

    [Option("Every Nth event an isolate handles crashes the isolate; the supervisor restarts it with a new instance (counted in pipeline_isolate_restarts_total) and retries the event. 0: never.",
        Example = "1000")]
    public int CrashEvery { get; set; }

    public IProcessorFactory Build(ComponentContext context)
    {
        if (FailEvery < 0)
        {
            throw new ComponentBuildException("fail_every", $"expected 0 (never) or a whole number >= 1, found {FailEvery}");
        }
        if (CrashEvery < 0)
        {
            throw new ComponentBuildException("crash_every", $"expected 0 (never) or a whole number >= 1, found {CrashEvery}");
        }
        if (FailEvery == 0 && CrashEvery == 0)
        {
            throw new ComponentBuildException("fail_every", "expected fail_every or crash_every above 0, found neither: the stage would inject nothing");
        }
        var (failEvery, crashEvery) = (FailEvery, CrashEvery);
        return new ProcessorFactory(_ => new Fault(failEvery, crashEvery));
    }
}

/// <summary>Counts the events (attempts included) this instance handles and fails or crashes on the configured ones.</summary>
public sealed class Fault(int failEvery, int crashEvery) : IProcessor
{
    private long _handled;

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        var handled = ++_handled;
        if (crashEvery > 0 && handled % crashEvery == 0)
        {
            throw new InstanceCorruptedException($"fault: injected crash on event {handled} of this instance (crash_every: {crashEvery})");
        }
        if (failEvery > 0 && handled % failEvery == 0)
        {
            throw new InvalidOperationException($"fault: injected failure on event {handled} of this instance (fail_every: {failEvery})");
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }
}
