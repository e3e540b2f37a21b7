using System.Net;
using Elastic.Transport;
using Pipeline.Security;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// Makes the transport's HTTP handlers: a <see cref="SocketsHttpHandler"/> whose TLS comes from a <c>tls:</c> block
/// through <see cref="ClientTls"/> (the same private-CA trust, mutual TLS and file reloads as the http sink), which
/// the transport's own settings cannot express. Handed to <see cref="HttpRequestInvoker"/>, which asks for a handler
/// per connection settings and again now and then to follow DNS.
/// </summary>
internal sealed class ElasticsearchHttpHandlers(ClientTlsSettings? tls, bool gzip, Serilog.ILogger logger, string sinkId) : IDisposable
{
    private readonly Lock _lock = new();

    // Guarded by _lock: the file poll of the newest handler. When the transport replaces a handler the old one's
    // poll stops; the connections still on it keep the TLS material they were made with.
    private IDisposable? _tlsPoll;

    public HttpRequestInvoker Invoker() => new(Replace);

    public void Dispose()
    {
        lock (_lock)
        {
            _tlsPoll?.Dispose();
            _tlsPoll = null;
        }
    }

    private HttpMessageHandler Replace(HttpMessageHandler transportsOwn, BoundConfiguration configuration)
    {
        transportsOwn.Dispose();
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // With compression the transport asks for gzip answers too (Accept-Encoding), and must be able to read them.
            AutomaticDecompression = gzip ? DecompressionMethods.GZip : DecompressionMethods.None,
        };
        if (tls is not null)
        {
            var poll = ClientTls.Apply(handler, tls, logger, sinkId);
            lock (_lock)
            {
                _tlsPoll?.Dispose();
                _tlsPoll = poll;
            }
        }
        return handler;
    }
}
