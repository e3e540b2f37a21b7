using Pipeline.Components;

namespace Pipeline.Sinks;

public sealed class HttpSinkOptions
{
    [Option("Where each batch is POSTed as NDJSON (Content-Type: application/x-ndjson). An absolute http:// or https:// URI.",
        Required = true, Example = "https://collector.example.com/v1/events")]
    public string Uri { get; set; } = "";

    [Option("Extra request headers, such as authorization. Content-Type and Content-Encoding are set by the sink.",
        Example = "{ Authorization: \"Bearer ${COLLECTOR_TOKEN}\" }")]
    public Dictionary<string, string> Headers { get; set; } = [];

    [Option("Body compression; gzip also sends Content-Encoding: gzip.", Example = "gzip")]
    public HttpSinkCompression Compression { get; set; } = HttpSinkCompression.None;

    [Option("How long one POST may take, from sending to the response headers, before it fails and is retried.", Example = "30s")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
