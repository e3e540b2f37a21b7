using Pipeline.Components;

namespace Pipeline.Config;

/// <summary>
/// <c>telemetry.traces</c> in YAML. Every option is optional; where YAML is silent the standard OpenTelemetry
/// environment variables (OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, …) apply.
/// </summary>
public sealed class TracesSettings
{
}
