using Pipeline.Components;

namespace Pipeline.Processors;

/// <summary>Options of <c>delay</c>: either <c>duration</c>, or <c>min</c> and <c>max</c>.</summary>
public sealed class DelayOptions
{
    [Option("A fixed delay for every event.", Example = "50ms")]
    public TimeSpan? Duration { get; set; }

    [Option("The shortest random delay (with max): each event waits a uniformly random time between min and max.", Example = "10ms")]
    public TimeSpan? Min { get; set; }

    [Option("The longest random delay (with min).", Example = "200ms")]
    public TimeSpan? Max { get; set; }
}
