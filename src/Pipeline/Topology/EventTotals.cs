namespace Pipeline.Topology;

/// <summary>A run's event counts at one moment (<see cref="RunningTopology.Totals"/>).</summary>
public sealed record EventTotals(long In, long Delivered, long DeadLettered)
{
    /// <summary>Something came in and all of it ended in the dead-letter file: the run did not do its job.</summary>
    public bool EverythingDeadLettered => In > 0 && Delivered == 0 && DeadLettered > 0;
}
