using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Options of <c>hash</c>.</summary>
public sealed class HashOptions
{
    [Option("Fields to hash: a string's UTF-8 bytes, any other value's JSON text. Missing and null fields are left alone.",
        Required = true, Example = "[.user.email, .client_ip]")]
    public List<FieldPath> Fields { get; set; } = [];

    [Option("Write the digest to a sibling field named <field><suffix> and keep the original; by default the digest replaces the value.",
        Example = "_sha256")]
    public string? TargetSuffix { get; set; }

    [Option("How the digest is written.", Example = "base64")]
    public HashEncoding Encoding { get; set; } = HashEncoding.Hex;
}
