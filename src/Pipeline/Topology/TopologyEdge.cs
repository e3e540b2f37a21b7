namespace Pipeline.Topology;

/// <summary>An <c>inputs:</c> entry as an edge: from a component (and named output, null for the default) to a consumer.</summary>
/// <param name="EventsPerSecond">Live rate along the edge (only in <see cref="RunningTopology.SnapshotWithRatesAsync"/>).</param>
public sealed record TopologyEdge(string From, string? Output, string To, double EventsPerSecond = 0)
{
    /// <summary>Grafana node graph: a unique edge id.</summary>
    public string Id => Output is null ? $"{From}:{To}" : $"{From}.{Output}:{To}";

    /// <summary>Grafana node graph: the node the edge leaves.</summary>
    public string Source => From;

    /// <summary>Grafana node graph: the node the edge enters.</summary>
    public string Target => To;
}
