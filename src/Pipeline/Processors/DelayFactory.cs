using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary><c>delay</c>: holds each event for a fixed or random time before emitting it, to exercise latency metrics.</summary>
public sealed class DelayFactory : IProcessorFactory
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;

    public DelayFactory(DelayOptions options)
    {
        switch (options)
        {
            case { Duration: { } duration, Min: null, Max: null }:
                _min = _max = NotNegative(duration, "duration");
                break;
            case { Duration: null, Min: { } min, Max: { } max }:
                _min = NotNegative(min, "min");
                _max = NotNegative(max, "max");
                if (_max < _min)
                {
                    throw new ComponentBuildException("max", $"expected max >= min ({Format(_min)}), found {Format(_max)}");
                }
                break;
            case { Duration: not null }:
                throw new ComponentBuildException("duration", "expected either duration or min and max, found both");
            case { Min: null, Max: null }:
                throw new ComponentBuildException("duration", "expected duration (e.g. 50ms) or min and max, found neither");
            default:
                throw new ComponentBuildException(options.Min is null ? "min" : "max", "expected min and max together, found only one of them");
        }
    }

    public IProcessor CreateForIsolate(int isolateIndex) => new Processor(_min, _max);

    private static TimeSpan NotNegative(TimeSpan value, string option)
        => value >= TimeSpan.Zero ? value : throw new ComponentBuildException(option, $"expected a duration >= 0, found {Format(value)}");

    private static string Format(TimeSpan value) => $"{value.TotalMilliseconds}ms";

    private sealed class Processor(TimeSpan min, TimeSpan max) : IProcessor
    {
        private readonly Random _random = new();

        public async ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
        {
            var delay = min == max ? min : min + (max - min) * _random.NextDouble();
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            output.Emit(evt);
        }
    }
}
