using Pipeline.Events;

namespace Pipeline.Components;

public interface ISourceFactory
{
    /// <summary>
    /// True for a source that answers requests from callers (HTTP ingest): its ingest spans are of kind server.
    /// Other sources (a generator, stdin) produce events on their own, and their ingest spans are producers.
    /// </summary>
    bool ReceivesRequests => false;

    /// <summary>True for a source that reads a message broker (Kafka): its ingest spans are consumers, children of the producer's.</summary>
    bool ConsumesMessages => false;

    /// <summary>
    /// True for a source whose checkpoints must wait for acknowledgements to be safe (the file source): they are on
    /// unless the config says <c>acknowledgements: false</c>.
    /// </summary>
    bool AcknowledgementsByDefault => false;

    /// <summary>
    /// A field whose events must keep their order among themselves (a Kafka source's partition): a stage fed only by
    /// this source and without a router of its own routes by key affinity on it, so each value's events are handled
    /// by one isolate, in order, while different values run in parallel. Null when the events have no such order.
    /// </summary>
    FieldPath? OrderKey => null;

    ISource Create();
}
