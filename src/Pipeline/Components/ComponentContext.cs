namespace Pipeline.Components;

/// <summary>What a component's build step may know about where it runs.</summary>
public sealed record ComponentContext(string ComponentId, string PipelineName, string DataDirectory)
{
    /// <summary>The environment the service runs with (the loader's, so that <c>validate</c> and tests see the same); the process's by default.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}
