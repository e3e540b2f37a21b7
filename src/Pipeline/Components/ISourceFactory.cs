namespace Pipeline.Components;

public interface ISourceFactory
{
    /// <summary>
    /// True for a source that answers requests from callers (HTTP ingest): its ingest spans are of kind server.
    /// Other sources (a generator, stdin) produce events on their own, and their ingest spans are producers.
    /// </summary>
    bool ReceivesRequests => false;

    ISource Create();
}
