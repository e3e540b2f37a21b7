namespace Pipeline.Components;

/// <summary>
/// Produces events until stopped. Throw on failure: the supervisor restarts the source with backoff.
/// </summary>
public interface ISource
{
    /// <summary>Runs until <paramref name="stopping"/> is cancelled, then returns.</summary>
    Task RunAsync(ISourceContext context, CancellationToken stopping);
}
