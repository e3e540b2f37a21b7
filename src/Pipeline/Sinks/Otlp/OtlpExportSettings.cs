namespace Pipeline.Sinks.Otlp;

/// <summary>Where and how an otlp sink sends, resolved from its options and the OTEL_EXPORTER_OTLP_* variables.</summary>
/// <param name="Endpoint">For http/protobuf the full URL (with /v1/logs); for gRPC the server's address.</param>
/// <param name="Http">True for http/protobuf, false for gRPC.</param>
/// <param name="Headers">Sent with every export (gRPC metadata or HTTP headers).</param>
/// <param name="Gzip">Compress each request.</param>
/// <param name="Timeout">How long one export may take before it fails and is retried.</param>
internal sealed record OtlpExportSettings(Uri Endpoint, bool Http, IReadOnlyList<KeyValuePair<string, string>> Headers, bool Gzip, TimeSpan Timeout)
{
    public string Protocol => Http ? "http/protobuf" : "grpc";
}
