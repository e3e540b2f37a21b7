namespace Pipeline.Processors.Kubernetes;

/// <summary>What the pod cache watches and how: the node, the bound, the API's address, and the retry backoff.</summary>
/// <param name="ApiUrl">Null: in-cluster or the kubeconfig (<see cref="KubernetesApiAccess"/>).</param>
public sealed record PodCacheSettings(string NodeName, int MaxPods, string? ApiUrl)
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
