using Pipeline.Components;

namespace Pipeline.Processors;

/// <summary>Options of <c>route</c>.</summary>
public sealed class RouteOptions
{
    [Option("Named outputs and their conditions (syntax: docs/expressions.md), referenced downstream as <id>.<name>. An event goes to every route it matches, and to _unmatched if it matches none.",
        Required = true, Example = "{ errors: '.level == \"error\"', slow: '.duration_ms > 1000' }")]
    public Dictionary<string, string> Routes { get; set; } = [];
}
