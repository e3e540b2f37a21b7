using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Either <c>duration</c>, or <c>min</c> and <c>max</c>.</summary>
[Component("delay", "Holds each event for a fixed or random time, to exercise latency metrics.")]
public sealed class DelayConfig : IProcessorConfig
{
    [Option("A fixed delay for every event.", Example = "50ms")]
    public TimeSpan? Duration { get; set; }

    [Option("The shortest random delay (with max): each event waits a uniformly random time between min and max.", Example = "10ms")]
    public TimeSpan? Min { get; set; }

    [Option("The longest random delay (with min).", Example = "200ms")]
    public TimeSpan? Max { get; set; }

    public IProcessorFactory Build(ComponentContext context)
    {
        TimeSpan min, max;
        switch (this)
        {
            case { Duration: { } duration, Min: null, Max: null }:
                min = max = NotNegative(duration, "duration");
                break;
            case { Duration: null, Min: { } least, Max: { } most }:
                min = NotNegative(least, "min");
                max = NotNegative(most, "max");
                if (max < min)
                {
                    throw new ComponentBuildException("max", $"expected max >= min ({Format(min)}), found {Format(max)}");
                }
                break;
            case { Duration: not null }:
                throw new ComponentBuildException("duration", "expected either duration or min and max, found both");
            case { Min: null, Max: null }:
                throw new ComponentBuildException("duration", "expected duration (e.g. 50ms) or min and max, found neither");
            default:
                throw new ComponentBuildException(Min is null ? "min" : "max", "expected min and max together, found only one of them");
        }
        return new ProcessorFactory(_ => new Delay(min, max));
    }

    private static TimeSpan NotNegative(TimeSpan value, string option)
        => value >= TimeSpan.Zero ? value : throw new ComponentBuildException(option, $"expected a duration >= 0, found {Format(value)}");

    private static string Format(TimeSpan value) => $"{value.TotalMilliseconds}ms";
}

/// <summary>Waits a uniformly random time in [min, max] per event, then emits it.</summary>
public sealed class Delay(TimeSpan min, TimeSpan max) : IProcessor
{
    private readonly Random _random = new();

    public async ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        var delay = min == max ? min : min + (max - min) * _random.NextDouble();
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        output.Emit(evt);
    }
}
