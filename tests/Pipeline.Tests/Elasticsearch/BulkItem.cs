using System.Text.Json;

namespace Pipeline.Tests.Elasticsearch;

/// <summary>One operation of a <c>_bulk</c> body as the fake endpoint read it: the action line's parts and the document.</summary>
internal sealed record BulkItem(string Action, string Index, string? Id, string DocumentJson)
{
    public JsonElement Document => JsonDocument.Parse(DocumentJson).RootElement;

    public int Seq => Document.GetProperty("seq").GetInt32();
}
