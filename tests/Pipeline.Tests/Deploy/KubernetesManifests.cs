using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// The objects `kubectl kustomize deploy/k8s` renders: built-in kinds parsed strictly into KubernetesClient's models
/// (an unknown or misspelled field anywhere is an error, as the API server's strict field validation would say),
/// the Prometheus operator's and cert-manager's custom resources as plain trees for structural checks.
/// </summary>
internal sealed partial class KubernetesManifests
{
    /// <summary>API groups whose kinds KubernetesClient has no model for.</summary>
    private static readonly string[] CustomResourceGroups = ["monitoring.coreos.com/", "cert-manager.io/"];

    private static readonly SemaphoreSlim RenderOnce = new(1, 1);
    private static KubernetesManifests? _rendered;

    private KubernetesManifests(IReadOnlyList<IKubernetesObject> objects, IReadOnlyList<JsonObject> customResources)
    {
        Objects = objects;
        CustomResources = customResources;
    }

    public static string Directory => RepositoryRoot.Combine("deploy", "k8s");

    public IReadOnlyList<IKubernetesObject> Objects { get; }

    public IReadOnlyList<JsonObject> CustomResources { get; }

    public T Single<T>() where T : IKubernetesObject => Assert.Single(Objects.OfType<T>());

    public JsonObject CustomResource(string kind) => Assert.Single(CustomResources, r => (string?)r["kind"] == kind);

    /// <summary>Renders the kustomize base once per test run (kubectl is required: the calling test skips without it).</summary>
    public static async Task<KubernetesManifests> RenderAsync()
    {
        var kubectl = ExternalTool.Require("kubectl", "kubernetes-client");
        await RenderOnce.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_rendered is null)
            {
                var result = await kubectl.RunAsync(["kustomize", Directory]);
                Assert.True(result.Succeeded, result.Transcript);
                _rendered = Parse(result.StandardOutput);
            }
            return _rendered;
        }
        finally
        {
            RenderOnce.Release();
        }
    }

    /// <summary>Renders another kustomization (the aggregator tier, an overlay) each time it is asked.</summary>
    public static async Task<KubernetesManifests> RenderAsync(string directory)
    {
        var kubectl = ExternalTool.Require("kubectl", "kubernetes-client");
        var result = await kubectl.RunAsync(["kustomize", directory]);
        Assert.True(result.Succeeded, result.Transcript);
        return Parse(result.StandardOutput);
    }

    /// <summary>Parses a multi-document stream; throws on any document that does not validate.</summary>
    public static KubernetesManifests Parse(string yaml)
    {
        var objects = new List<IKubernetesObject>();
        var customResources = new List<JsonObject>();
        foreach (var document in DocumentSeparator().Split(yaml).Where(d => !string.IsNullOrWhiteSpace(d)))
        {
            var tree = YamlTree.Load(document).AsObject();
            var apiVersion = (string?)tree["apiVersion"] ?? throw new InvalidDataException($"a document without apiVersion:\n{document}");
            if (CustomResourceGroups.Any(group => apiVersion.StartsWith(group, StringComparison.Ordinal)))
            {
                customResources.Add(tree);
                continue;
            }
            // strict: YamlDotNet throws on any property the model does not have, at any depth.
            objects.AddRange(KubernetesYaml.LoadAllFromString(document, typeMap: null, strict: true).Cast<IKubernetesObject>());
        }
        return new KubernetesManifests(objects, customResources);
    }

    [GeneratedRegex(@"^---\s*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();
}
