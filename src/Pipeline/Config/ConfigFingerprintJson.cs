using System.Text.Json.Serialization;

namespace Pipeline.Config;

/// <summary>Source-generated JSON for <see cref="ConfigFingerprint"/>: string escaping without reflection.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class ConfigFingerprintJson : JsonSerializerContext;
