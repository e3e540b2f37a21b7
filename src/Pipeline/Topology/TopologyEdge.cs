namespace Pipeline.Topology;

/// <summary>An <c>inputs:</c> entry as an edge: from a component (and named output, null for the default) to a consumer.</summary>
public sealed record TopologyEdge(string From, string? Output, string To);
