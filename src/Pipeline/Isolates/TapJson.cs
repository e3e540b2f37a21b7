using System.Text.Json.Serialization;

namespace Pipeline.Isolates;

/// <summary>The tap's JSON strings, escaped by generated code (a trimmed publish allows no reflection).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class TapJson : JsonSerializerContext;
