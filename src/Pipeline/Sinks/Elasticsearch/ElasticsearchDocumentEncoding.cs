namespace Pipeline.Sinks.Elasticsearch;

/// <summary>How an elasticsearch sink turns an event into a document: its <c>encoding</c> option.</summary>
public enum ElasticsearchDocumentEncoding
{
    /// <summary>The event as it is, with an <c>@timestamp</c> when it has none (data streams need one).</summary>
    Event,

    /// <summary>Elastic Common Schema: the well-known fields moved to ECS's names (docs/elasticsearch.md has the table).</summary>
    Ecs,
}
