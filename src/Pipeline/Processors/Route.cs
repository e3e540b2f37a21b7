using System.Text.RegularExpressions;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Expressions;

namespace Pipeline.Processors;

/// <summary>There is no default output: every event goes to its routes, or to <see cref="UnmatchedOutput"/>.</summary>
[Component("route", "Sends events to named outputs by condition, and to _unmatched when none matches.")]
public sealed partial class RouteConfig : IProcessorConfig
{
    public const string UnmatchedOutput = "_unmatched";

    [Option("Named outputs and their conditions (syntax: docs/expressions.md), referenced downstream as <id>.<name>. An event goes to every route it matches, and to _unmatched if it matches none.",
        Required = true, Example = "{ errors: '.level == \"error\"', slow: '.duration_ms > 1000' }")]
    public Dictionary<string, string> Routes { get; set; } = [];

    public IProcessorFactory Build(ComponentContext context)
    {
        if (Routes.Count == 0)
        {
            throw new ComponentBuildException("routes", "expected at least one route (name: condition), found none");
        }
        var names = new List<string>(Routes.Count + 1);
        var conditions = new List<ConditionExpression>(Routes.Count);
        // Declaration order is the YAML's: the config binder fills the dictionary in document order and Dictionary
        // enumerates in insertion order when nothing was removed.
        foreach (var (name, condition) in Routes)
        {
            if (!RouteName().IsMatch(name) || name == UnmatchedOutput)
            {
                throw new ComponentBuildException("routes", $"route names are letters, digits, '_' and '-' (and not {UnmatchedOutput}), found '{name}'");
            }
            names.Add(name);
            conditions.Add(ConditionExpression.Parse(condition, "routes." + name));
        }
        names.Add(UnmatchedOutput);
        // Parsed and checked once; each isolate compiles its own delegates, so no isolate shares state with another.
        return new ProcessorFactory(_ => new Route([.. conditions.Select(c => c.Compile())]))
        {
            NamedOutputs = [.. names],
            HasDefaultOutput = false,
        };
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex RouteName();
}

/// <summary>
/// Sends each event to every named output whose condition it matches, in declaration order, and to the last named
/// output (<see cref="RouteConfig.UnmatchedOutput"/>) when it matches none.
/// </summary>
/// <param name="conditions">One per route, in the order of the named outputs.</param>
public sealed class Route(Func<Event, bool>[] conditions) : IProcessor
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
