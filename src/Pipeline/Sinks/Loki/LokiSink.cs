using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Loki;

/// <summary>
/// Pushes each batch to Loki as one JSON request. The outcomes are the http sink's: 408, 429, 5xx, a refused
/// connection and a timeout are retried as an outage (a Retry-After is honoured); a 400 naming entries (too old, too
/// far behind) throws a <see cref="PartialDeliveryException"/> that dead-letters those entries alone, since Loki
/// stored the rest (<see cref="LokiRejection"/>); any other non-2xx is permanent for the batch, with Loki's message.
/// </summary>
internal sealed class LokiSink(HttpClient client, Uri push, LokiSinkConfig config, LokiPushRequest request) : ITracePropagatingSink
{
    public const string TenantHeader = "X-Scope-OrgID";

    /// <summary>Loki lists every refused entry of a 400 on a line of its own: enough of it to find a batch's.</summary>
    private const int ErrorBodyBytes = 64 * 1024;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private readonly bool _gzip = config.Compression == LokiSinkConfig.BodyCompression.Gzip;
    private readonly MemoryStream _compressed = new();
    private readonly HttpClientSpan _clientSpan = new(HttpMethod.Post.Method, push);

    public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
        => WriteAsync(batch, [], cancellationToken);

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        var body = request.Build(batch, traceContexts, DateTimeOffset.UtcNow);
        if (_gzip)
        {
            body = Compress(body);
        }
        using var message = new HttpRequestMessage(HttpMethod.Post, push) { Content = new ReadOnlyMemoryContent(body) };
        message.Content.Headers.ContentType = JsonContentType;
        if (_gzip)
        {
            message.Content.Headers.ContentEncoding.Add("gzip");
        }
        if (config.TenantId is { } tenant)
        {
            message.Headers.TryAddWithoutValidation(TenantHeader, tenant);
        }
        foreach (var (name, value) in config.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        _clientSpan.RecordRequest();
        var response = await HttpSink.SendForHeadersAsync(client, message, $"POST {push}", config.Timeout, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            HttpClientSpan.RecordResponse((int)response.StatusCode);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
            await ThrowOutcomeAsync(response, batch.Count, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ThrowOutcomeAsync(HttpResponseMessage response, int batchSize, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var answer = (await HttpSink.ReadSnippetAsync(response, ErrorBodyBytes, cancellationToken).ConfigureAwait(false)).Trim();
        var said = $"POST {push} answered {status} {response.ReasonPhrase}, expected 2xx; loki said: {answer}";
        if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
        {
            // Down, overloaded, or over the tenant's ingestion rate: retried for as long as it takes (FailurePolicy).
            var failure = new HttpRequestException(said, null, response.StatusCode);
            if (HttpSink.RetryAfterOf(response) is { } after)
            {
                throw new RetryableFailureException($"{said}; Retry-After {after.TotalSeconds}s", failure) { RetryAfter = after };
            }
            throw failure;
        }
        if (response.StatusCode == HttpStatusCode.BadRequest && LokiRejection.IsPerEntry(answer))
        {
            // Thrown even when every entry failed: each is dead-lettered with the reason Loki gave for it.
            var failures = LokiRejection.Failures(answer, request.Entries);
            if (failures.Count > 0)
            {
                throw new PartialDeliveryException($"loki refused {failures.Count} of the {batchSize} entries of the batch and stored any others; first: {failures[0].Reason}", failures);
            }
        }
        // Labels Loki refuses, structured metadata it has off, a body too large: the same request gets the same answer.
        throw new PermanentFailureException(said);
    }

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
}
