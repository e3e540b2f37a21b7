using Pipeline.Components;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// <c>data_stream:</c> of an elasticsearch sink in <c>mode: data_stream</c> (Vector's names): the three parts of
/// Elastic's data stream naming scheme, <c>&lt;type&gt;-&lt;dataset&gt;-&lt;namespace&gt;</c>.
/// </summary>
public sealed class ElasticsearchDataStreamSettings
{
    [Option("The data stream's type: logs, metrics, traces or synthetics; a {{ .field }} template may pick it per event.", Example = "logs")]
    public string Type { get; set; } = "logs";

    [Option("The dataset, what the data is (no '-'); a {{ .field }} template may pick it per event.", Example = "{{ .service }}")]
    public string Dataset { get; set; } = "generic";

    [Option("The namespace, whose data it is (an environment, a team; no '-'); a {{ .field }} template may pick it per event.", Example = "production")]
    public string Namespace { get; set; } = "default";
}
