using k8s;

namespace Pipeline.Processors.Kubernetes;

/// <summary>
/// How the enricher reaches the Kubernetes API: an explicit <c>api_url</c> (plain HTTP, no credentials: tests and a
/// local <c>kubectl proxy</c>), else in-cluster (the pod's service-account token) when KUBERNETES_SERVICE_HOST is set,
/// else the kubeconfig (KUBECONFIG or ~/.kube/config).
/// </summary>
internal static class KubernetesApiAccess
{
    /// <summary>A client, or null and why there is none (the message names what is missing).</summary>
    public static IKubernetes? TryCreate(string? apiUrl, Func<string, string?> environment, out string problem)
    {
        problem = "";
        try
        {
            if (apiUrl is not null)
            {
                return new k8s.Kubernetes(new KubernetesClientConfiguration { Host = apiUrl });
            }
            if (!string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")))
            {
                // Throws, naming the file, when the service-account token is not mounted.
                return new k8s.Kubernetes(KubernetesClientConfiguration.InClusterConfig());
            }
            var kubeconfig = environment("KUBECONFIG") is { Length: > 0 } paths
                ? paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists)
                : File.Exists(KubernetesClientConfiguration.KubeConfigDefaultLocation) ? KubernetesClientConfiguration.KubeConfigDefaultLocation : null;
            if (kubeconfig is null)
            {
                problem = "not in a cluster (KUBERNETES_SERVICE_HOST is not set) and no kubeconfig "
                    + $"(KUBECONFIG names no file, and {KubernetesClientConfiguration.KubeConfigDefaultLocation} does not exist)";
                return null;
            }
            return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        }
#pragma warning disable CA1031 // Any failure to configure the client means the same thing: no API, path-derived fields only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            problem = ex.Message;
            return null;
        }
    }
}
