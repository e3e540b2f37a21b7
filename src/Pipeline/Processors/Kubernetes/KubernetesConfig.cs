using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors.Kubernetes;

[Component("kubernetes", "Adds Kubernetes metadata to container log events: pod, namespace and container from the log file's path, "
    + "and optionally the pod's labels and annotations from the Kubernetes API (Vector's kubernetes_logs field names).")]
public sealed class KubernetesConfig : IProcessorConfig
{
    [Option("The string field holding the log file's path (/var/log/containers/… or /var/log/pods/…).", Example = ".file")]
    public FieldPath Field { get; set; } = FieldPath.Parse(".file");

    [Option("Also add .kubernetes.pod_labels, pod_annotations, pod_uid and pod_node_name from a watch of this node's pods "
        + "(needs get/list/watch on pods; see deploy/k8s/rbac.yaml).", Example = "true")]
    public bool PodMetadata { get; set; }

    [Option("The node whose pods are watched; defaults to the K8S_NODE_NAME environment variable (the DaemonSet sets it from spec.nodeName).",
        Example = "${K8S_NODE_NAME}")]
    public string? NodeName { get; set; }

    [Option("The most pods kept (1 to 150,000); when full, the one added longest ago is evicted (and counted).", Example = "1000")]
    public int MaxPods { get; set; } = 1000;

    [Option("How long a deleted pod's metadata is still added: its last lines are often read after the pod is gone (Vector's delay_deletion_ms).",
        Example = "2m")]
    public TimeSpan DelayDeletion { get; set; } = TimeSpan.FromSeconds(60);

    [Option("The Kubernetes API as a plain http:// base URL without credentials (a kubectl proxy, a test server); "
        + "by default in-cluster config when KUBERNETES_SERVICE_HOST is set, else the kubeconfig.", Example = "http://127.0.0.1:8001")]
    public string? ApiUrl { get; set; }

    /// <summary>Where the build step reads K8S_NODE_NAME; tests replace it.</summary>
    internal Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The pod cache's retry backoff; tests shorten it.</summary>
    internal TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public IProcessorFactory Build(ComponentContext context)
    {
        if (Field.IsRoot)
        {
            throw new ComponentBuildException("field", "expected the path of a string field such as .file, found the root '.'");
        }
        // Kubernetes supports clusters of at most 150,000 pods, and a node's cache holds only its own (110 by default).
        if (MaxPods is < 1 or > 150_000)
        {
            throw new ComponentBuildException("max_pods", $"expected between 1 and 150,000 (the most pods a Kubernetes cluster supports), found {MaxPods}");
        }
        if (DelayDeletion < TimeSpan.Zero)
        {
            throw new ComponentBuildException("delay_deletion", $"expected a duration of 0 or more, found {DelayDeletion}");
        }
        if (ApiUrl is not null
            && (!Uri.TryCreate(ApiUrl, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ComponentBuildException("api_url", $"expected a plain http:// base URL such as http://127.0.0.1:8001, found '{ApiUrl}'");
        }
        PodCacheSettings? pods = null;
        if (PodMetadata)
        {
            var node = string.IsNullOrWhiteSpace(NodeName) ? Environment("K8S_NODE_NAME") : NodeName;
            if (string.IsNullOrWhiteSpace(node))
            {
                throw new ComponentBuildException("node_name",
                    "pod_metadata needs this node's name: expected node_name or the K8S_NODE_NAME environment variable, found neither");
            }
            pods = new PodCacheSettings(node.Trim(), MaxPods, ApiUrl)
            {
                InitialBackoff = InitialBackoff,
                MaxBackoff = TimeSpan.FromSeconds(Math.Max(30, InitialBackoff.TotalSeconds)),
                DelayDeletion = DelayDeletion,
            };
        }
        return new KubernetesEnricherFactory(Field, pods);
    }
}
