namespace Pipeline.Telemetry.Logging;

/// <summary>Where <see cref="ElasticsearchLogSink"/> ships: the nodes, the data stream and the credentials.</summary>
public sealed class ElasticsearchLogOptions
{
    public const string DefaultDataStream = "logs-pipeline-default";

    public required IReadOnlyList<Uri> Urls { get; init; }

    /// <summary>Bulk <c>create</c> operations go here; a data stream name follows logs-&lt;dataset&gt;-&lt;namespace&gt;.</summary>
    public string DataStream { get; init; } = DefaultDataStream;

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>The base64 "id:key" form Elasticsearch's create-API-key call returns as <c>encoded</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>One bulk request's timeout; a timed-out batch is retried by the batching queue.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
