namespace Pipeline.Components;

/// <summary>The usual result of a source's build step: a function that makes a fresh source.</summary>
public sealed class SourceFactory(Func<ISource> create) : ISourceFactory
{
    public bool ReceivesRequests { get; init; }

    public bool AcknowledgementsByDefault { get; init; }

    public ISource Create() => create();
}
