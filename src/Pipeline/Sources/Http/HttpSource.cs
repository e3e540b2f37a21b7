using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Events;
using Pipeline.Security;

namespace Pipeline.Sources.Http;

[Component("http", "Accepts POSTs of NDJSON or JSON (or, with decoding, text/plain; optionally gzip) on its own port; answers 429 under backpressure.")]
public sealed class HttpSourceConfig : ISourceConfig, IDecodingSourceConfig
{
    [Option("Address the ingest server listens on, as ip:port ([::]:port for IPv6, localhost:port, *:port for every interface); https:// in front needs tls.",
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

    [Option("The most bytes of request bodies this source holds at once (by Content-Length; max_body for a gzip or chunked body); a request over it is answered 429 with Retry-After before its body is read. The process holds about four times this while parsing. Default: an eighth of the memory available to the process (its container limit), shared by every http source that leaves this unset (a source whose max_body is larger gets max_body of its own).",
        Example = "64MiB")]
    public ByteSize? MaxInFlightBytes { get; set; }

    [Option("The most requests this source handles at once (1 to 65,536); more are answered 429 with Retry-After.", Example = "64")]
    public int MaxConcurrentRequests { get; set; } = 128;

    [Option("With acknowledgements: true, how long a request waits for all its events to be delivered (or durably buffered, or dead-lettered) before it is answered 503 with Retry-After; the client then resends, so events may arrive twice.",
        Example = "10s")]
    public TimeSpan AcknowledgementsTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [Option("Serve HTTPS: cert_file and key_file (re-read when they change), min_version, and ca_file for mutual TLS (only clients with a certificate from that CA get in). docs/security.md.",
        Example = "{ cert_file: /etc/pipeline/tls/tls.crt, key_file: /etc/pipeline/tls/tls.key }")]
    public ServerTlsSettings? Tls { get; set; }

    [Option("Require a token on every request: strategy bearer (Authorization: Bearer) or api_key (a header), tokens from tokens_file (re-read when it changes) and tokens_env. Without one the answer is 401 and nothing of the body is read. docs/security.md.",
        Example = "{ strategy: bearer, tokens_file: /etc/pipeline/ingest-tokens/tokens }")]
    public AuthSettings? Auth { get; set; }

    [Option("How each frame of a body becomes an event: codec json (the default: NDJSON or a JSON array, as without decoding), text, logfmt or syslog; a codec other than json takes Content-Type text/plain.",
        Example = "{ codec: logfmt }")]
    public DecodingSettings? Decoding { get; set; }

    [Option("With a codec other than json, where each frame of a body ends: method newline_delimited (the default), character_delimited (with character_delimited.delimiter) or bytes (the whole body is one event).",
        Example = "{ method: bytes }")]
    public FramingSettings? Framing { get; set; }

    public DecodingCodec Codec => Decoding?.Codec ?? DecodingCodec.Json;

    /// <summary>The byte that ends a frame, null for the whole body; checked by <see cref="Build"/>.</summary>
    internal byte? FrameDelimiter => Framing is null ? (byte)'\n' : Framing.Delimiter("framing");

    public ISourceFactory Build(ComponentContext context)
    {
        _ = FrameDelimiter;
        if (Framing is not null && Codec == DecodingCodec.Json)
        {
            throw new ComponentBuildException("framing", "framing applies to the codecs text, logfmt and syslog (expected decoding: { codec: text } or the like, found codec json: NDJSON is always newline-delimited and a JSON array is framed by its brackets)");
        }
        if (!ListenAddress.TryParse(Address, out var address))
        {
            throw new ComponentBuildException("address", $"expected {ListenAddress.Expected}, found '{Address}'");
        }
        ComponentBuildException.ThrowIfAnyFails(
            () =>
            {
                if (address.SchemeMismatch(Tls is not null) is { } mismatch)
                {
                    throw new ComponentBuildException("address", mismatch);
                }
            },
            () => Tls?.Validate("tls"),
            () => Auth?.Validate("auth", context.Environment));
        if (string.IsNullOrEmpty(Path) || Path[0] != '/')
        {
            throw new ComponentBuildException("path", $"expected a route starting with '/', found '{Path}'");
        }
        IngestLimits.Validate(MaxBody, MaxInFlightBytes, MaxConcurrentRequests, AcknowledgementsTimeout, BackpressureTimeout);
        return new SourceFactory(() => new HttpSource(address.EndPoint, this, context.Environment)) { ReceivesRequests = true };
    }
}

/// <summary>
/// Runs a Kestrel server of its own on the configured address and hands every POST to an
/// <see cref="HttpIngestHandler"/>. On stop it answers new requests 503, lets the requests in flight finish, and returns.
/// </summary>
/// <param name="endpoint">The config's address, parsed.</param>
/// <param name="environment">Where the auth block's tokens_env are read.</param>
public sealed class HttpSource(IPEndPoint endpoint, HttpSourceConfig config, Func<string, string?>? environment = null) : ISource
{
    private readonly TaskCompletionSource<IReadOnlyList<Uri>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes with the addresses the server actually listens on (the real port when port 0 was configured),
    /// or faults when it could not start.
    /// </summary>
    public Task<IReadOnlyList<Uri>> Listening => _listening.Task;

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        var inFlight = IngestLimits.Budget(config.MaxInFlightBytes, config.MaxBody);
        var handler = new HttpIngestHandler(
            context, config.MaxBody.Bytes, config.BackpressureTimeout, config.TraceparentField, config.AcknowledgementsTimeout,
            new IngestLimiter(inFlight, config.MaxConcurrentRequests), config.Codec, config.FrameDelimiter);
        EmbeddedIngestServer server;
        try
        {
            server = EmbeddedIngestServer.Create(context, endpoint, config.Tls, config.Auth, environment ?? Environment.GetEnvironmentVariable,
                HttpProtocols.Http1AndHttp2, config.MaxBody.Bytes, _ => { }, app => handler.MapTo(app, config.Path));
        }
        catch (Exception ex)
        {
            _listening.TrySetException(ex);
            throw;
        }
        await using (server.ConfigureAwait(false))
        {
            IReadOnlyList<Uri> addresses;
            try
            {
                addresses = await server.StartAsync("http source", stopping).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _listening.TrySetException(ex);
                throw;
            }
            _listening.TrySetResult(addresses);
            context.ReportListening();
            context.Logger.Information("{ComponentId} accepts events on {Urls} (POST {Path})", context.ComponentId, string.Join(", ", addresses), config.Path);

            try
            {
                await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            handler.BeginShutdown();
            await server.StopAsync().ConfigureAwait(false);
        }
    }
}
