using System.Text.Json.Nodes;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>One dashboard JSON of deploy/grafana/dashboards, with its panels (rows' panels included) and variables.</summary>
internal sealed class GrafanaDashboard
{
    private GrafanaDashboard(string path, JsonObject json)
    {
        FilePath = path;
        Json = json;
    }

    public static string Directory => RepositoryRoot.Combine("deploy", "grafana", "dashboards");

    public string FilePath { get; }

    public string FileName => Path.GetFileName(FilePath);

    public JsonObject Json { get; }

    public string? Uid => (string?)Json["uid"];

    public IEnumerable<JsonObject> Variables => Json["templating"]?["list"]?.AsArray().Select(v => v!.AsObject()) ?? [];

    /// <summary>Every panel, the panels inside collapsed rows too.</summary>
    public IEnumerable<JsonObject> Panels
    {
        get
        {
            foreach (var panel in Json["panels"]?.AsArray() ?? [])
            {
                yield return panel!.AsObject();
                foreach (var inner in panel["panels"]?.AsArray() ?? [])
                {
                    yield return inner!.AsObject();
                }
            }
        }
    }

    public static IReadOnlyList<GrafanaDashboard> LoadAll() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal).Select(Load)];

    public static GrafanaDashboard Load(string path) =>
        new(path, JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: not a JSON object"));

    public static IEnumerable<JsonObject> Targets(JsonObject panel) => panel["targets"]?.AsArray().Select(t => t!.AsObject()) ?? [];

    public string Describe(JsonObject panel) => $"{FileName}: panel {panel["id"]} '{panel["title"]}'";
}
