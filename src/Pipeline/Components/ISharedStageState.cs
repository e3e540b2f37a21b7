namespace Pipeline.Components;

/// <summary>
/// Implemented by a processor or sink factory whose isolates share something that lives as long as the stage: a view
/// kept up to date in the background (the kubernetes enricher's cache of pods), a connection and the stage's own
/// instruments (the otlp sink's gRPC channel), the distinct label values a loki sink admitted and its metrics. The
/// runtime starts it once, when the stage starts and before any instance is made, and disposes it once every isolate
/// of the stage has stopped. Building the factory alone (as <c>pipeline validate</c> does) starts nothing, so a build
/// step stays free of side effects.
/// </summary>
public interface ISharedStageState : IAsyncDisposable
{
    void Start(StageRuntime runtime);
}
