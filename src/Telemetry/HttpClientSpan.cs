using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Telemetry;

/// <summary>
/// The HTTP attributes of a sink's client span (its batch span, current while the sink runs), for one target URI:
/// <c>http.request.method</c>, <c>url.full</c>, <c>server.address</c>, <c>server.port</c> and
/// <c>http.response.status_code</c>. The URI's attribute values are made once, so a sampled batch costs no strings.
/// </summary>
public sealed class HttpClientSpan
{
    private readonly string _method;
    private readonly string _urlFull;
    private readonly string _serverAddress;
    private readonly int _serverPort;

    public HttpClientSpan(string method, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        _method = method;
        _urlFull = Redact(uri);
        _serverAddress = uri.Host;
        _serverPort = uri.Port;
    }

    /// <summary>The request is about to be sent: method and target on the current pipeline span, if any.</summary>
    public void RecordRequest()
    {
        if (Current() is not { } span)
        {
            return;
        }
        span.SetTag(TelemetryNames.HttpRequestMethodAttribute, _method);
        span.SetTag(TelemetryNames.UrlFullAttribute, _urlFull);
        span.SetTag(TelemetryNames.ServerAddressAttribute, _serverAddress);
        span.SetTag(TelemetryNames.ServerPortAttribute, _serverPort);
    }

    /// <summary>
    /// The answer, on the current pipeline span. A status of 400 or more is also its <c>error.type</c>, as the HTTP
    /// conventions ask; a later successful attempt clears it.
    /// </summary>
    public static void RecordResponse(int statusCode)
    {
        if (Current() is not { } span)
        {
            return;
        }
        span.SetTag(TelemetryNames.HttpResponseStatusCodeAttribute, statusCode);
        span.SetTag(TelemetryNames.ErrorTypeAttribute, statusCode >= 400 ? statusCode.ToString(CultureInfo.InvariantCulture) : null);
    }

    private static Activity? Current()
        => Activity.Current is { IsAllDataRequested: true } span && span.Source == PipelineTracing.Source ? span : null;

    /// <summary>
    /// <c>url.full</c> as the conventions ask: no user info, and query values replaced by <c>*</c> (a configured URI
    /// may carry a token there; .NET's own HttpClient spans redact the same way).
    /// </summary>
    private static string Redact(Uri uri)
    {
        var withoutUser = uri.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.Port | UriComponents.Path, UriFormat.UriEscaped);
        var query = uri.Query;
        if (query.Length <= 1)
        {
            return withoutUser;
        }
        var redacted = string.Join('&', query[1..].Split('&').Select(pair => pair.Split('=', 2) is [var name, _] ? name + "=*" : pair));
        return withoutUser + "?" + redacted;
    }
}
