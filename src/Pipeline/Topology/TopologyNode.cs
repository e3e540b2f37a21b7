namespace Pipeline.Topology;

/// <summary>One component of a <see cref="TopologySnapshot"/> with its counters at the time of the snapshot.</summary>
/// <param name="Kind"><c>source</c>, <c>processor</c> or <c>sink</c> (the <c>component_kind</c> metric label).</param>
/// <param name="State"><c>running</c>, <c>failed</c> or <c>finished</c>.</param>
/// <param name="Isolates">Isolates in the pool; 1 for sources.</param>
/// <param name="MailboxDepth">Envelopes waiting in the pool's mailboxes; 0 for sources.</param>
public sealed record TopologyNode(
    string Id,
    string Kind,
    string Type,
    string State,
    int Isolates,
    long Received,
    long Sent,
    long Errors,
    long Discarded,
    long DeadLettered,
    long MailboxDepth);
