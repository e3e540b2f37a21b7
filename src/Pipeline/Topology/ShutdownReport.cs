namespace Pipeline.Topology;

/// <summary>What graceful shutdown achieved.</summary>
/// <param name="Drained">True when every accepted event reached a sink or the dead-letter output before the timeout.</param>
/// <param name="Undrained">Per stage and sink id: events still inside it when the timeout ran out (they were dead-lettered
/// with reason <c>undrained_at_shutdown</c>). Every stage and sink is listed, with 0 when it drained.</param>
/// <param name="DeadLettered">Dead-letter records written while the topology ran, undrained ones included.</param>
public sealed record ShutdownReport(bool Drained, IReadOnlyDictionary<string, long> Undrained, long DeadLettered);
