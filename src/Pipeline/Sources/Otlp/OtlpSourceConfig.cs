using Pipeline.Components;
using Pipeline.Sources.Http;

namespace Pipeline.Sources.Otlp;

[Component("otlp", "Receives OTLP logs from applications and collectors: gRPC (LogsService/Export) and HTTP (POST /v1/logs, protobuf or JSON, optionally gzip); each log record becomes an event in its own trace. Answers RESOURCE_EXHAUSTED / 429 under backpressure. docs/otlp.md.")]
public sealed class OtlpSourceConfig : ISourceConfig
{
    internal const string DefaultGrpcAddress = "0.0.0.0:4317";
    internal const string DefaultHttpAddress = "0.0.0.0:4318";

    [Option("The gRPC server (HTTP/2; h2c without tls): address (default 0.0.0.0:4317), tls, auth. At least one of grpc and http.",
        Example = "{ address: \"0.0.0.0:4317\" }")]
    public OtlpListenerSettings? Grpc { get; set; }

    [Option("The HTTP server (POST /v1/logs, HTTP/1.1 and HTTP/2): address (default 0.0.0.0:4318), tls, auth. At least one of grpc and http.",
        Example = "{ address: \"0.0.0.0:4318\" }")]
    public OtlpListenerSettings? Http { get; set; }

    [Option("Largest request: an HTTP body after gzip decompression, a gRPC message after its own decompression. Larger ones get 413 / RESOURCE_EXHAUSTED and nothing of them is accepted.",
        Example = "4MiB")]
    public ByteSize MaxBody { get; set; } = new(10L * 1024 * 1024);

    [Option("How long a request waits for room downstream before it is answered 429 with Retry-After (gRPC: RESOURCE_EXHAUSTED with RetryInfo); such an answer means nothing of that request was accepted.",
        Example = "500ms")]
    public TimeSpan BackpressureTimeout { get; set; } = TimeSpan.FromSeconds(1);

    [Option("The most bytes of requests this source holds at once; a request over it is answered as under backpressure. Default: an eighth of the memory available to the process, shared with the http sources that leave theirs unset.",
        Example = "64MiB")]
    public ByteSize? MaxInFlightBytes { get; set; }

    [Option("The most requests this source handles at once, both servers together (1 to 65,536); more are answered as under backpressure.", Example = "64")]
    public int MaxConcurrentRequests { get; set; } = 128;

    [Option("With acknowledgements: true, how long a request waits for all its records to be delivered (or durably buffered, or dead-lettered) before it is answered 503 (gRPC: UNAVAILABLE) so the client retries; records that did arrive then arrive twice.",
        Example = "10s")]
    public TimeSpan AcknowledgementsTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public ISourceFactory Build(ComponentContext context)
    {
        if (Grpc is null && Http is null)
        {
            throw new ComponentBuildException("grpc",
                $"expected grpc, http or both (such as grpc: {{ address: \"{DefaultGrpcAddress}\" }}), found neither: the source would listen nowhere");
        }
        ListenAddress? grpc = null;
        ListenAddress? http = null;
        ComponentBuildException.ThrowIfAnyFails(
            () => grpc = Grpc?.Validate("grpc", DefaultGrpcAddress, context.Environment),
            () => http = Http?.Validate("http", DefaultHttpAddress, context.Environment));
        if (grpc is not null && http is not null && grpc.EndPoint.Port != 0 && grpc.EndPoint.Equals(http.EndPoint))
        {
            throw new ComponentBuildException("http.address", $"expected an address other than grpc's, found the same ({grpc.EndPoint}): gRPC and HTTP each need a port of their own");
        }
        IngestLimits.Validate(MaxBody, MaxInFlightBytes, MaxConcurrentRequests, AcknowledgementsTimeout, BackpressureTimeout);
        return new SourceFactory(() => new OtlpSource(grpc?.EndPoint, http?.EndPoint, this, context.Environment)) { ReceivesRequests = true };
    }
}
