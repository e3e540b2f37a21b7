using System.Text.Json.Serialization;

namespace Pipeline.Processors.Script;

[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class ScriptJson : JsonSerializerContext;
