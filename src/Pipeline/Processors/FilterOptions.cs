using Pipeline.Components;

namespace Pipeline.Processors;

/// <summary>Options of <c>filter</c>.</summary>
public sealed class FilterOptions
{
    [Option("Keep the events for which this condition is true (syntax: docs/expressions.md).", Required = true,
        Example = "'.level == \"error\" && .status >= 500'")]
    public string Condition { get; set; } = "";
}
