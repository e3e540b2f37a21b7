using System.Text;
using System.Text.Json;
using k8s.Models;

namespace Pipeline.Processors.Kubernetes;

/// <summary>
/// What the enricher adds from one pod's API object, encoded once when the pod is added or changed (never per event).
/// Immutable: a change replaces the whole object, so readers on other threads never see half of one.
/// </summary>
public sealed class PodMetadata
{
    private PodMetadata(byte[]? uid, byte[]? nodeName, byte[] labelsJson, byte[] annotationsJson)
    {
        Uid = uid;
        NodeName = nodeName;
        LabelsJson = labelsJson;
        AnnotationsJson = annotationsJson;
    }

    public byte[]? Uid { get; }

    public byte[]? NodeName { get; }

    /// <summary>The labels as a JSON object (<c>{}</c> when none).</summary>
    public byte[] LabelsJson { get; }

    /// <summary>The annotations as a JSON object (<c>{}</c> when none).</summary>
    public byte[] AnnotationsJson { get; }

    public static PodMetadata From(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return new PodMetadata(
            Utf8(pod.Metadata?.Uid),
            Utf8(pod.Spec?.NodeName),
            ToJsonObject(pod.Metadata?.Labels),
            ToJsonObject(pod.Metadata?.Annotations));
    }

    private static byte[]? Utf8(string? text) => string.IsNullOrEmpty(text) ? null : Encoding.UTF8.GetBytes(text);

    private static byte[] ToJsonObject(IDictionary<string, string>? map)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in map ?? new Dictionary<string, string>())
            {
                writer.WriteString(key, value);
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
