namespace Pipeline.Components;

public interface ISourceFactory
{
    /// <summary>
    /// True for a source that answers requests from callers (HTTP ingest): its ingest spans are of kind server.
    /// Other sources (a generator, stdin) produce events on their own, and their ingest spans are producers.
    /// </summary>
    bool ReceivesRequests => false;

    /// <summary>
    /// True for a source whose checkpoints must wait for acknowledgements to be safe (the file source): they are on
    /// unless the config says <c>acknowledgements: false</c>.
    /// </summary>
    bool AcknowledgementsByDefault => false;

    ISource Create();
}
