using Pipeline.Components;

namespace Pipeline.Sources;

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
}
