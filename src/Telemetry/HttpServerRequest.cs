using System.Diagnostics;

namespace Pipeline.Telemetry;

/// <summary>
/// The HTTP request whose events are being ingested on this async flow, for the HTTP attributes of their ingest
/// (server) spans. The http source sets it once per request; only a sampled event's span reads it.
/// </summary>
/// <remarks>
/// An async-local rather than a parameter: the ingest span is started inside the runtime's source context, which
/// knows nothing of HTTP, and a value set in the request's handler flows to it and no further (it is reverted when the
/// handler's async method returns).
/// </remarks>
public sealed class HttpServerRequest(string method, string scheme, string path, string? route)
{
    private static readonly AsyncLocal<HttpServerRequest?> CurrentRequest = new();

    /// <summary>The request being handled on this flow; null outside an HTTP ingest.</summary>
    public static HttpServerRequest? Current
    {
        get => CurrentRequest.Value;
        set => CurrentRequest.Value = value;
    }

    internal void Tag(Activity span)
    {
        span.SetTag(TelemetryNames.HttpRequestMethodAttribute, method);
        span.SetTag(TelemetryNames.UrlSchemeAttribute, scheme);
        span.SetTag(TelemetryNames.UrlPathAttribute, path);
        if (route is not null)
        {
            span.SetTag(TelemetryNames.HttpRouteAttribute, route);
        }
    }
}
