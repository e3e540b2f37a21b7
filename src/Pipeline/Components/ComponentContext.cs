namespace Pipeline.Components;

/// <summary>What a component's build step may know about where it runs.</summary>
public sealed record ComponentContext(string ComponentId, string PipelineName, string DataDirectory);
