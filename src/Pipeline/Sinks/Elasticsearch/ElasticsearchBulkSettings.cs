using Pipeline.Components;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary><c>bulk:</c> of an elasticsearch sink in <c>mode: bulk</c> (Vector's names): the index and the bulk action.</summary>
public sealed class ElasticsearchBulkSettings
{
    /// <summary>The bulk actions a document may be written with outside a data stream.</summary>
    public enum BulkAction
    {
        /// <summary>Writes the document, replacing one with the same _id.</summary>
        Index,

        /// <summary>Writes the document only if no document has its _id (409 otherwise).</summary>
        Create,
    }

    [Option("The index: text with {{ .field }} placeholders and strftime date codes (%Y %m %d %H %M %S %j %%) of the event's timestamp (or @timestamp; the time of sending when it has neither), such as app-%Y.%m.%d. An event whose index cannot be made is dead-lettered with the reason.",
        Example = "app-{{ .service }}-%Y.%m.%d")]
    public string Index { get; set; } = "pipeline-%Y.%m.%d";

    [Option("The bulk action: index (replace a document with the same _id) or create (keep the first one).", Example = "create")]
    public BulkAction Action { get; set; } = BulkAction.Index;
}
