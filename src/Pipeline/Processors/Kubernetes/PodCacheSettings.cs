namespace Pipeline.Processors.Kubernetes;

/// <summary>What the pod cache watches and how: the node, the bound, the API's address, the retry backoff, and how long deleted pods stay.</summary>
/// <param name="ApiUrl">Null: in-cluster or the kubeconfig (<see cref="KubernetesApiAccess"/>).</param>
public sealed record PodCacheSettings(string NodeName, int MaxPods, string? ApiUrl)
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a deleted pod is still served (its last lines are read after it is gone).</summary>
    public TimeSpan DelayDeletion { get; init; } = TimeSpan.FromSeconds(60);
}
