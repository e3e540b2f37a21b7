namespace Pipeline.Topology;

/// <summary>The running topology as the <c>/topology</c> admin endpoint shows it: plain, JSON-serializable records.</summary>
public sealed record TopologySnapshot(string Pipeline, bool Ready, string? FailureReason, IReadOnlyList<TopologyNode> Nodes, IReadOnlyList<TopologyEdge> Edges);
