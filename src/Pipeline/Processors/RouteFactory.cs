using System.Text.RegularExpressions;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Expressions;

namespace Pipeline.Processors;

/// <summary>
/// <c>route</c>: sends each event to every named output whose condition it matches, in declaration order, and to
/// <c>_unmatched</c> when it matches none. There is no default output.
/// </summary>
public sealed partial class RouteFactory : IProcessorFactory
{
    public const string UnmatchedOutput = "_unmatched";

    private readonly ConditionExpression[] _conditions;
    private readonly string[] _outputs;

    public RouteFactory(RouteOptions options)
    {
        if (options.Routes.Count == 0)
        {
            throw new ComponentBuildException("routes", "expected at least one route (name: condition), found none");
        }
        var names = new List<string>(options.Routes.Count + 1);
        var conditions = new List<ConditionExpression>(options.Routes.Count);
        // Declaration order is the YAML's: the config binder fills the dictionary in document order and Dictionary
        // enumerates in insertion order when nothing was removed.
        foreach (var (name, condition) in options.Routes)
        {
            if (!RouteName().IsMatch(name) || name == UnmatchedOutput)
            {
                throw new ComponentBuildException("routes", $"route names are letters, digits, '_' and '-' (and not {UnmatchedOutput}), found '{name}'");
            }
            names.Add(name);
            conditions.Add(ConditionExpression.Parse(condition, "routes"));
        }
        names.Add(UnmatchedOutput);
        _outputs = [.. names];
        _conditions = [.. conditions];
    }

    public IReadOnlyList<string> NamedOutputs => _outputs;

    public bool HasDefaultOutput => false;

    public IProcessor CreateForIsolate(int isolateIndex)
    {
        var compiled = new Func<Event, bool>[_conditions.Length];
        for (var i = 0; i < compiled.Length; i++)
        {
            compiled[i] = _conditions[i].Compile();
        }
        return new Processor(compiled);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex RouteName();

    private sealed class Processor(Func<Event, bool>[] conditions) : IProcessor
    {
        private readonly int[] _matches = new int[conditions.Length];

        public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
        {
            // Every condition is evaluated before anything is emitted: once emitted, the event belongs downstream.
            var count = 0;
            for (var i = 0; i < conditions.Length; i++)
            {
                if (conditions[i](evt))
                {
                    _matches[count++] = i;
                }
            }
            if (count == 0)
            {
                output.Emit(conditions.Length, evt);
                return ValueTask.CompletedTask;
            }
            // An event object is never emitted twice: every extra match gets its own clone, the last one the original.
            for (var m = 0; m < count - 1; m++)
            {
                output.Emit(_matches[m], evt.Clone());
            }
            output.Emit(_matches[count - 1], evt);
            return ValueTask.CompletedTask;
        }
    }
}
