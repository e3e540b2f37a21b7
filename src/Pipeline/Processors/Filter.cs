using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Expressions;

namespace Pipeline.Processors;

[Component("filter", "Keeps the events that match a condition (docs/expressions.md).")]
public sealed class FilterConfig : IProcessorConfig
{
    [Option("Keep the events for which this condition is true (syntax: docs/expressions.md).", Required = true,
        Example = "'.level == \"error\" && .status >= 500'")]
    public string Condition { get; set; } = "";

    public IProcessorFactory Build(ComponentContext context)
    {
        // Parsed and checked once; each isolate compiles its own delegate, so no isolate shares state with another.
        var condition = ConditionExpression.Parse(Condition, "condition");
        return new ProcessorFactory(_ => new Filter(condition.Compile()));
    }
}

/// <summary>Emits the events that match the condition; not emitting the others drops them.</summary>
public sealed class Filter(Func<Event, bool> condition) : IProcessor
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
