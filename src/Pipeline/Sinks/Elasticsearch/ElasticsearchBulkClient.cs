using Elastic.Clients.Elasticsearch;
using Elastic.Transport;
using Pipeline.Security;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// Sends <c>_bulk</c> bodies through the Elasticsearch client's transport, which owns the node pool over the
/// sink's endpoints (a node that fails is skipped for a while, the request tried on the next one), the
/// Authorization header, gzip, and, when some items failed, parsing the answer into the client's <see cref="BulkResponse"/> items with their status and error (<see cref="ElasticsearchBulkAnswer"/>).
/// One per sink, shared by its isolates (the pool's view of which nodes are alive is the whole sink's), made when
/// the sink starts and disposed, with its connections, when it stops (<see cref="ElasticsearchSinkFactory"/>).
/// </summary>
/// <remarks>
/// The body is not built with the client's <c>BulkRequest</c>: that takes one object per document and serializes
/// it, where the sink writes the event's own JSON into a reused buffer (<see cref="ElasticsearchBulkBody"/>).
/// </remarks>
internal sealed class ElasticsearchBulkClient : IDisposable
{
    private const string RetryAfterHeader = "Retry-After";

    private static readonly EndpointPath BulkPath = new(Elastic.Transport.HttpMethod.POST, "/_bulk");

    private readonly ElasticsearchClient _client;
    private readonly ElasticsearchClientSettings _settings;
    private readonly ElasticsearchHttpHandlers _handlers;

    // Plain NDJSON rather than the client's versioned media type (compatible-with=9), which older clusters refuse.
    private readonly RequestConfiguration _request = new() { ContentType = "application/x-ndjson" };

    public ElasticsearchBulkClient(IReadOnlyList<Uri> endpoints, AuthorizationHeader? authorization, ClientTlsSettings? tls, bool gzip, TimeSpan timeout, Serilog.ILogger logger, string sinkId)
    {
        NodePool pool = endpoints.Count == 1 ? new SingleNodePool(endpoints[0]) : new StaticNodePool(endpoints, randomize: false);
        _handlers = new ElasticsearchHttpHandlers(tls, gzip, logger, sinkId);
        var settings = new ElasticsearchClientSettings(pool, _handlers.Invoker(), null!, null!)
            // Each endpoint once per request (failover); beyond that the sink's retry policy owns the waiting, with
            // backoff, so that an outage reaches the source as backpressure instead of a busy loop in the client.
            .MaximumRetries(endpoints.Count - 1)
            .RequestTimeout(timeout)
            .EnableHttpCompression(gzip)
            // A ping before a node's first request would double the requests to a node that just came back, and a
            // bulk request tells as much about a node's health as a ping.
            .DisablePing()
            .ResponseHeadersToParse(new HeadersList(RetryAfterHeader));
        if (authorization is not null)
        {
            settings = settings.Authentication(authorization);
        }
        _settings = settings;
        _client = new ElasticsearchClient(settings);
    }

    /// <summary>Closes the connections (the settings own the node pool and the invoker) and stops the tls file poll.</summary>
    public void Dispose()
    {
        ((IDisposable)_settings).Dispose();
        _handlers.Dispose();
    }

    public async Task<ElasticsearchBulkAnswer> SendAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var response = await _client.Transport.RequestAsync<BytesResponse>(BulkPath, PostData.ReadOnlyMemory(body), null, _request, cancellationToken).ConfigureAwait(false);
        return ElasticsearchBulkAnswer.Read(response, _client.ElasticsearchClientSettings.RequestResponseSerializer);
    }

    /// <summary>The answer's Retry-After as a wait from now (seconds, or an HTTP date); null when it has none.</summary>
    public static TimeSpan? RetryAfterOf(ApiCallDetails details)
    {
        if (!details.TryGetHeader(RetryAfterHeader, out var values) || values.FirstOrDefault() is not { } value)
        {
            return null;
        }
        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }
        return DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date)
            ? (date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero)
            : null;
    }
}
