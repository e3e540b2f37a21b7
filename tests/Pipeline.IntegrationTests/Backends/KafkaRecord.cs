using System.Text.Json;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>A record as read back from a topic: where it sits, its value (UTF-8 text) and its headers.</summary>
internal sealed record KafkaRecord(int Partition, long Offset, string? Key, string Value, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The <c>id</c> field of a record the test produced (or that a pipeline wrote from such an event).</summary>
    public int Id
    {
        get
        {
            using var document = JsonDocument.Parse(Value);
            return document.RootElement.GetProperty("id").GetInt32();
        }
    }
}
