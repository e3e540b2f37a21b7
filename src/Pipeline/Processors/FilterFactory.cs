using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Expressions;

namespace Pipeline.Processors;

/// <summary><c>filter</c>: keeps the events that match a condition and drops (does not emit) the others.</summary>
public sealed class FilterFactory : IProcessorFactory
{
    private readonly ConditionExpression _condition;

    public FilterFactory(FilterOptions options) => _condition = ConditionExpression.Parse(options.Condition, "condition");

    public IProcessor CreateForIsolate(int isolateIndex) => new Processor(_condition.Compile());

    private sealed class Processor(Func<Event, bool> condition) : IProcessor
    {
        public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
        {
            if (condition(evt))
            {
                output.Emit(evt);
            }
            return ValueTask.CompletedTask;
        }
    }
}
