using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Topology;

namespace Pipeline.Host;

/// <summary>
/// The admin endpoints' JSON, generated at build time: a trimmed publish turns reflection-based serialization off
/// (<c>/topology</c> answered 500 without this), and the generated code needs no reflection at start-up either.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TopologySnapshot))]
[JsonSerializable(typeof(LogLevelAnswer))]
[JsonSerializable(typeof(LogLevelRefusal))]
[JsonSerializable(typeof(ReloadAnswer))]
internal sealed partial class AdminJson : JsonSerializerContext;
