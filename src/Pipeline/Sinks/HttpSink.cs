using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Security;
using Pipeline.Telemetry;

namespace Pipeline.Sinks;

[Component("http", "POSTs each batch as NDJSON, optionally gzip; a refused connection, a timeout, 408, 429 and 5xx are retried as an outage, other non-2xx answers dead-letter at once.")]
public sealed class HttpSinkConfig : ISinkConfig
{
    public enum BodyCompression
    {
        None,
        Gzip,
    }

    // One connection pool for every http sink in the process: sockets are the scarce resource, and
    // PooledConnectionLifetime makes it follow DNS changes (the reason not to keep one HttpClient forever otherwise).
    internal static readonly SocketsHttpHandler SharedHandler = new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    [Option("Where each batch is POSTed as NDJSON (Content-Type: application/x-ndjson). An absolute http:// or https:// URI.",
        Required = true, Example = "https://collector.example.com/v1/events")]
    public string Uri { get; set; } = "";

    [Option("Extra request headers, such as authorization. Content-Type and Content-Encoding are set by the sink.",
        Example = "{ Authorization: \"Bearer ${COLLECTOR_TOKEN}\" }")]
    public Dictionary<string, string> Headers { get; set; } = [];

    [Option("Body compression; gzip also sends Content-Encoding: gzip.", Example = "gzip")]
    public BodyCompression Compression { get; set; } = BodyCompression.None;

    [Option("How long one POST may take, from sending to the response headers, before it fails and is retried.", Example = "30s")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    [Option("TLS for https:// uris: ca_file (trust a private CA instead of the system's), cert_file and key_file (a client certificate for mutual TLS), verify_hostname, verify_certificate. The files are re-read when they change. docs/security.md.",
        Example = "{ ca_file: /etc/pipeline/backend-ca/ca.crt }")]
    public ClientTlsSettings? Tls { get; set; }

    public ISinkFactory Build(ComponentContext context)
    {
        if (!System.Uri.TryCreate(Uri, UriKind.Absolute, out var uri) || (uri.Scheme != System.Uri.UriSchemeHttp && uri.Scheme != System.Uri.UriSchemeHttps))
        {
            throw new ComponentBuildException("uri", $"expected an absolute http:// or https:// URI, found '{Uri}'");
        }
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("timeout", $"expected a duration above 0, found {Timeout}");
        }
        using (var probe = new HttpRequestMessage())
        {
            foreach (var (name, value) in Headers)
            {
                // TryAddWithoutValidation refuses malformed names and content headers, which belong to the body the sink builds.
                if (!probe.Headers.TryAddWithoutValidation(name, value))
                {
                    throw new ComponentBuildException("headers", $"expected a request header name, found '{name}' (not a valid name, or a content header such as Content-Type that the sink sets itself)");
                }
            }
        }
        if (Tls is not null)
        {
            if (uri.Scheme != System.Uri.UriSchemeHttps)
            {
                throw new ComponentBuildException("tls", $"a tls block takes effect only for an https:// uri, found '{Uri}'");
            }
            Tls.Validate("tls");
        }
        // With tls, a handler of this sink's own, made on first use rather than here: validate builds the sink too,
        // and must not start polling its files.
        var client = new Lazy<HttpClient>(() => new HttpClient(Tls is null ? SharedHandler : HandlerWithTls(Tls, context.ComponentId), disposeHandler: false) { Timeout = Timeout });
        return new SinkFactory(_ => new HttpSink(client.Value, uri, this)) { DeliversOverNetwork = true };
    }

    /// <summary>A handler of one sink's own, for its tls block (the loki sink's too).</summary>
    internal static SocketsHttpHandler HandlerWithTls(ClientTlsSettings tls, string sinkId)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = SharedHandler.PooledConnectionLifetime,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = SharedHandler.ConnectTimeout,
        };
        // The poll lives as long as the process: a sink's client is never replaced.
        _ = ClientTls.Apply(handler, tls, Serilog.Log.Logger, sinkId);
        return handler;
    }
}

/// <summary>
/// POSTs each batch as one NDJSON body. A non-2xx answer throws: 408, 429 and 5xx as an
/// <see cref="HttpRequestException"/> that the runtime retries with backoff until the backend is back, anything else
/// (another 4xx, a redirect not followed) as a <see cref="PermanentFailureException"/> with the backend's answer
/// (sending the same body again cannot help). A refused connection and a timeout are retried like a 5xx; an answer
/// with a Retry-After throws a <see cref="RetryableFailureException"/> that carries it.
/// </summary>
/// <param name="client">Shared by every isolate of the sink; its timeout is the config's.</param>
/// <param name="uri">The config's uri, parsed.</param>
/// <param name="config">Where the headers and the compression come from.</param>
public sealed class HttpSink(HttpClient client, Uri uri, HttpSinkConfig config) : ISink
{
    private const int ErrorBodySnippetBytes = 512;
    private static readonly MediaTypeHeaderValue NdjsonContentType = new("application/x-ndjson");

    private readonly bool _gzip = config.Compression == HttpSinkConfig.BodyCompression.Gzip;
    private readonly JsonLinesBuffer _lines = new();
    private readonly MemoryStream _compressed = new();
    private readonly HttpClientSpan _clientSpan = new(HttpMethod.Post.Method, uri);

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        _lines.Clear();
        for (var i = 0; i < batch.Count; i++)
        {
            _lines.Append(batch[i]);
        }
        var body = _gzip ? Compress(_lines.Written) : _lines.Written;

        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = NdjsonContentType;
        if (_gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }
        foreach (var (name, value) in config.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        // The delivery span current now is this sink's client span (sampled batches only); it gets the HTTP attributes.
        _clientSpan.RecordRequest();
        var response = await SendForHeadersAsync(client, request, $"POST {uri}", config.Timeout, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            HttpClientSpan.RecordResponse((int)response.StatusCode);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
            var status = (int)response.StatusCode;
            var detail = await ReadSnippetAsync(response, ErrorBodySnippetBytes, cancellationToken).ConfigureAwait(false);
            var message = $"POST {uri} answered {status} {response.ReasonPhrase}, expected 2xx; response body: {detail}";
            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            {
                // The backend is down, overloaded or asking to slow down: the runtime retries a sink's
                // HttpRequestException for as long as it takes (FailurePolicy.IsRetryable).
                var failure = new HttpRequestException(message, null, response.StatusCode);
                if (RetryAfterOf(response) is { } after)
                {
                    // It said when to come back (RFC 9110 section 10.2.3): the next attempt waits at least that long.
                    throw new RetryableFailureException($"{message}; Retry-After {after.TotalSeconds}s", failure) { RetryAfter = after };
                }
                throw failure;
            }
            // Another 4xx, or a redirect the client does not follow (https to http, too many hops): the same body to the
            // same uri gets the same answer, so retrying for ever would only stall the sink behind it.
            throw new PermanentFailureException(message);
        }
    }

    /// <summary>The answer's Retry-After as a wait from now (seconds, or an HTTP date); null when it has none.</summary>
    /// <summary>
    /// Sends <paramref name="request"/> and returns once the response headers arrived; shared by the sinks that POST
    /// (http, loki, otlp over HTTP) so that each turns HttpClient's timeout into the same retryable failure.
    /// </summary>
    /// <param name="what">The request as the failure names it, e.g. <c>POST http://loki:3100/loki/api/v1/push</c>.</param>
    internal static async Task<HttpResponseMessage> SendForHeadersAsync(HttpClient client, HttpRequestMessage request, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient reports its own timeout as a cancellation; the runtime must see a failure to retry, not a shutdown.
            throw new TimeoutException($"{what} got no response within the timeout of {timeout.TotalSeconds}s", ex);
        }
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response)
        => response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _compressed.Dispose();
        return ValueTask.CompletedTask;
    }

    private ReadOnlyMemory<byte> Compress(ReadOnlyMemory<byte> body)
    {
        _compressed.SetLength(0);
        using (var gzip = new GZipStream(_compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body.Span);
        }
        return _compressed.GetBuffer().AsMemory(0, (int)_compressed.Length);
    }

    /// <summary>The start of an error answer's body, up to <paramref name="maxBytes"/>, for the failure's message.</summary>
    internal static async Task<string> ReadSnippetAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[maxBytes];
            var filled = 0;
            int read;
            while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }
            return filled == 0 ? "(empty)" : Encoding.UTF8.GetString(buffer, 0, filled);
        }
    }
}
