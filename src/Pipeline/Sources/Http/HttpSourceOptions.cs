using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sources.Http;

public sealed class HttpSourceOptions
{
    [Option("Address the ingest server listens on, as ip:port ([::]:port for IPv6, localhost:port, *:port for every interface).",
        Example = "127.0.0.1:8080")]
    public string Address { get; set; } = "0.0.0.0:8080";

    [Option("Route that accepts POSTs of events.", Example = "/ingest")]
    public string Path { get; set; } = "/v1/events";

    [Option("Largest request body, after gzip decompression too; larger bodies get 413 and nothing of them is accepted.", Example = "1MiB")]
    public ByteSize MaxBody { get; set; } = new(10L * 1024 * 1024);

    [Option("How long a request waits for room downstream before it is answered 429 with Retry-After; a 429 means nothing of that request was accepted.",
        Example = "500ms")]
    public TimeSpan BackpressureTimeout { get; set; } = TimeSpan.FromSeconds(1);

    [Option("Field holding a W3C traceparent per event. When it holds a valid one, it becomes that event's trace context (overriding the request's traceparent header) and the field is removed from the event; an invalid one is left as it is.",
        Example = ".trace.parent")]
    public FieldPath TraceparentField { get; set; } = FieldPath.Parse(".traceparent");
}
