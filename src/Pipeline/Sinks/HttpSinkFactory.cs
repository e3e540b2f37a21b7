using System.Net;
using Pipeline.Components;

namespace Pipeline.Sinks;

public sealed class HttpSinkFactory : ISinkFactory
{
    // One connection pool for every http sink in the process: sockets are the scarce resource, and
    // PooledConnectionLifetime makes it follow DNS changes (the reason not to keep one HttpClient forever otherwise).
    private static readonly SocketsHttpHandler SharedHandler = new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    private readonly HttpClient _client;
    private readonly Uri _uri;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly bool _gzip;
    private readonly TimeSpan _timeout;

    public HttpSinkFactory(HttpSinkOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (!System.Uri.TryCreate(options.Uri, UriKind.Absolute, out var uri) || (uri.Scheme != System.Uri.UriSchemeHttp && uri.Scheme != System.Uri.UriSchemeHttps))
        {
            throw new ComponentBuildException("uri", $"expected an absolute http:// or https:// URI, found '{options.Uri}'");
        }
        if (options.Timeout <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("timeout", $"expected a duration above 0, found {options.Timeout}");
        }
        using (var probe = new HttpRequestMessage())
        {
            foreach (var (name, value) in options.Headers)
            {
                // TryAddWithoutValidation refuses malformed names and content headers, which belong to the body the sink builds.
                if (!probe.Headers.TryAddWithoutValidation(name, value))
                {
                    throw new ComponentBuildException("headers", $"expected a request header name, found '{name}' (not a valid name, or a content header such as Content-Type that the sink sets itself)");
                }
            }
        }
        _uri = uri;
        _headers = [.. options.Headers];
        _gzip = options.Compression == HttpSinkCompression.Gzip;
        _timeout = options.Timeout;
        _client = new HttpClient(SharedHandler, disposeHandler: false) { Timeout = options.Timeout };
    }

    public bool DeliversOverNetwork => true;

    public ISink CreateForIsolate(int isolateIndex) => new HttpSink(_client, _uri, _headers, _gzip, _timeout);
}
