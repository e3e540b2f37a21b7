namespace Pipeline.Telemetry;

/// <summary>
/// What the YAML <c>telemetry.traces</c> section said; null means "not said", and then the standard OpenTelemetry
/// environment variable, or the default, applies (see <see cref="TracingConfiguration.Resolve"/>).
/// </summary>
public sealed record TracingOptions
{
    /// <summary><c>none</c> or <c>otlp</c>.</summary>
    public string? Exporter { get; init; }

    /// <summary>The OTLP endpoint, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the signal path is added for HTTP).</summary>
    public string? Endpoint { get; init; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>.</summary>
    public string? Protocol { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public string? ServiceName { get; init; }

    public IReadOnlyDictionary<string, string>? ResourceAttributes { get; init; }

    /// <summary>One of <see cref="TraceSampler.Names"/>.</summary>
    public string? Sampler { get; init; }

    public double? Ratio { get; init; }

    public int? MaxQueueSize { get; init; }

    public int? MaxExportBatchSize { get; init; }

    public TimeSpan? ScheduledDelay { get; init; }

    public TimeSpan? ExportTimeout { get; init; }
}
