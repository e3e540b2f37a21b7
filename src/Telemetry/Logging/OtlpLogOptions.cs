using Serilog.Sinks.OpenTelemetry;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// OTLP log export as YAML set it. Where YAML is silent, the standard variables apply (read by
/// Serilog.Sinks.OpenTelemetry through <see cref="Environment"/>): OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS,
/// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
/// </summary>
public sealed class OtlpLogOptions
{
    /// <summary>Null: OTEL_EXPORTER_OTLP_ENDPOINT, else the OTLP default (http://localhost:4317 for gRPC).</summary>
    public string? Endpoint { get; init; }

    /// <summary>Null: OTEL_EXPORTER_OTLP_PROTOCOL, else gRPC.</summary>
    public OtlpProtocol? Protocol { get; init; }

    /// <summary>Null: OTEL_EXPORTER_OTLP_HEADERS.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Reads an environment variable; tests pass their own.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}
