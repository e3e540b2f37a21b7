using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// YAML read into System.Text.Json nodes, for structural checks of files that have no typed model here (rule files,
/// Grafana provisioning, compose, the Prometheus operator's CRDs). Every scalar stays a string, as written.
/// </summary>
internal static class YamlTree
{
    public static JsonNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var document = Assert.Single(stream.Documents);
        return ToJson(document.RootNode) ?? throw new InvalidDataException("an empty YAML document");
    }

    public static JsonNode LoadFile(string path) => Load(File.ReadAllText(path));

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(pair =>
            KeyValuePair.Create(((YamlScalarNode)pair.Key).Value ?? "", ToJson(pair.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode { Value: null or "" or "~" or "null", Style: YamlDotNet.Core.ScalarStyle.Plain } => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        _ => throw new InvalidDataException($"unsupported YAML node {node.NodeType} at {node.Start}"),
    };
}
