using Pipeline.Components;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary><c>request:</c> of an elasticsearch sink (Vector's block name): limits of one bulk request.</summary>
public sealed class ElasticsearchRequestSettings
{
    [Option("How long one bulk request may take, from sending to the whole answer, before it fails and is retried (on the next endpoint first, if there are several).", Example = "30s")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}
