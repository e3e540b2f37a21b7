using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Config;

/// <summary>
/// <c>telemetry.traces</c> in YAML. Every option is optional; where YAML is silent the standard OpenTelemetry
/// environment variables (OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, …) apply, then the defaults.
/// docs/observability.md has the whole table.
/// </summary>
public sealed class TracesSettings
{
    [Option("Where spans go: none, or otlp. Default: otlp when an OTLP endpoint is configured (here or in OTEL_EXPORTER_OTLP_ENDPOINT), else none.",
        Example = "otlp")]
    public string? Exporter { get; set; }

    [Option("OTLP endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT (for http/protobuf, /v1/traces is added). Default: http://localhost:4317 (grpc), http://localhost:4318 (http/protobuf).",
        Example = "http://otel-collector:4317")]
    public string? Endpoint { get; set; }

    [Option("OTLP transport: grpc or http/protobuf. Default: OTEL_EXPORTER_OTLP_PROTOCOL, else grpc.", Example = "http/protobuf")]
    public string? Protocol { get; set; }

    [Option("Headers sent with every export (authentication). Default: OTEL_EXPORTER_OTLP_HEADERS.", Example = "{ authorization: \"Bearer ${OTLP_TOKEN}\" }")]
    public Dictionary<string, string>? Headers { get; set; }

    [Option("The service.name resource attribute. Default: OTEL_SERVICE_NAME, else pipeline.", Example = "node-logs")]
    public string? ServiceName { get; set; }

    [Option("Extra resource attributes; they win over OTEL_RESOURCE_ATTRIBUTES.", Example = "{ deployment.environment: prod }")]
    public Dictionary<string, string>? ResourceAttributes { get; set; }

    [Option("Sampler, as OTEL_TRACES_SAMPLER: parentbased_traceidratio (the default), parentbased_always_on, parentbased_always_off, traceidratio, always_on, always_off.",
        Example = "parentbased_traceidratio")]
    public string? Sampler { get; set; }

    [Option("Share of new traces sampled, 0 to 1, as OTEL_TRACES_SAMPLER_ARG. Default: 0.01.", Example = "0.05")]
    public double? Ratio { get; set; }

    [Option("Spans the export queue holds (1 to 1,000,000); a full queue drops spans (counted), never blocks the pipeline. Default: 2048.", Example = "4096")]
    public int? MaxQueueSize { get; set; }

    [Option("Most spans per export request (1 to 100,000). Default: 512.", Example = "256")]
    public int? MaxExportBatchSize { get; set; }

    [Option("How often queued spans are exported. Default: 5s.", Example = "1s")]
    public TimeSpan? ScheduledDelay { get; set; }

    [Option("How long one export may take before it is given up. Default: 10s.", Example = "5s")]
    public TimeSpan? ExportTimeout { get; set; }

    /// <summary>What YAML said, for <see cref="TracingConfiguration.Resolve"/>.</summary>
    public TracingOptions ToTracingOptions() => new()
    {
        Exporter = Exporter,
        Endpoint = Endpoint,
        Protocol = Protocol,
        Headers = Headers,
        ServiceName = ServiceName,
        ResourceAttributes = ResourceAttributes,
        Sampler = Sampler,
        Ratio = Ratio,
        MaxQueueSize = MaxQueueSize,
        MaxExportBatchSize = MaxExportBatchSize,
        ScheduledDelay = ScheduledDelay,
        ExportTimeout = ExportTimeout,
    };
}
