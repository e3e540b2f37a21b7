namespace Pipeline.Config;

/// <summary>
/// <c>telemetry.logs.otlp_protocol</c>: the names of Serilog.Sinks.OpenTelemetry's <c>OtlpProtocol</c>, declared here
/// so that binding and validating a config does not load that assembly when no log goes over OTLP.
/// </summary>
public enum LogOtlpProtocol
{
    Grpc,
    HttpProtobuf,
}
