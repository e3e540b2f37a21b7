namespace Pipeline.Components;

/// <summary>
/// Implemented by a processor factory whose isolates share a view kept up to date in the background, such as the
/// kubernetes enricher's cache of pods. The runtime starts it once, when the stage starts and before any instance is
/// made, and disposes it once every isolate of the stage has stopped. Building the factory alone (as
/// <c>pipeline validate</c> does) starts nothing, so a build step stays free of side effects.
/// </summary>
public interface ISharedStageState : IAsyncDisposable
{
    void Start(StageRuntime runtime);
}
