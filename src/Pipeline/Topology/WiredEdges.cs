using Pipeline.Telemetry;

namespace Pipeline.Topology;

/// <summary>The edges <c>/topology</c> shows and their counters, index for index, replaced together by a reload.</summary>
internal sealed record WiredEdges(TopologyEdge[] Edges, MetricCounter?[] Counters)
{
    public static WiredEdges Of(IReadOnlyList<TopologyLink> links, MetricCounter?[] counters)
        => new([.. links.Select(l => new TopologyEdge(l.From.ComponentId, l.From.Output, l.ConsumerId))], counters);
}
