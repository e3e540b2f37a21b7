using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Processors.LogToMetric;

/// <summary>
/// The log_to_metric stage's build result: its metrics are acquired once when the stage starts, so every isolate
/// (and an isolate the supervisor restarts) counts into the same series, and released once the stage has stopped.
/// </summary>
public sealed class LogToMetricFactory(LogMetricPlan[] plans) : IProcessorFactory, ISharedStageState
{
    // Set by Start before any instance is made; read by DisposeAsync after every isolate stopped.
    private LogToMetricInstruments? _instruments;

    public IReadOnlyList<LogMetricPlan> Plans => plans;

    public void Start(StageRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _instruments = runtime.Metrics.CreateLogToMetricInstruments();
        foreach (var plan in plans)
        {
            plan.Bind(_instruments, runtime.Logger, runtime.Metrics.ComponentId);
        }
    }

    public IProcessor CreateForIsolate(int isolateIndex) => new LogToMetricProcessor(plans);

    public ValueTask DisposeAsync()
    {
        if (_instruments is { } instruments)
        {
            foreach (var plan in plans)
            {
                plan.Release(instruments);
            }
        }
        return ValueTask.CompletedTask;
    }
}
