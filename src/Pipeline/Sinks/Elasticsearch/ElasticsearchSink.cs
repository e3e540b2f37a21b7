using System.Diagnostics;
using System.Net;
using Elastic.Clients.Elasticsearch.Core.Bulk;
using Elastic.Transport;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// Writes each batch as one <c>_bulk</c> request and settles each event by its item in the answer: all written
/// returns; some not written throws a <see cref="PartialDeliveryException"/>, whose refused items (a mapping error,
/// a version conflict) the runtime dead-letters at once with Elasticsearch's error type and reason and whose
/// rejected-for-now items (429, 5xx) it retries alone. A request that fails as a whole (no node answered, 429, 5xx)
/// throws a retryable failure, so the batch waits with backoff and backpressure reaches the source.
/// </summary>
public sealed class ElasticsearchSink : ITracePropagatingSink
{
    private readonly ElasticsearchBulkClient _client;
    private readonly ElasticsearchBulkBody _body;
    private readonly (Uri Endpoint, HttpClientSpan Span)[] _spans;
    private readonly List<EventDeliveryFailure> _failures = [];

    internal ElasticsearchSink(ElasticsearchBulkClient client, ElasticsearchBulkBody body, IReadOnlyList<Uri> endpoints)
    {
        _client = client;
        _body = body;
        _spans = [.. endpoints.Select(e => (e, new HttpClientSpan("POST", new Uri(e, "_bulk"))))];
    }

    public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
        => WriteAsync(batch, [], cancellationToken);

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        _body.Clear();
        _failures.Clear();
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                if (!_body.TryAppend(batch[i], i, i < traceContexts.Count ? traceContexts[i] : default, out var reason))
                {
                    _failures.Add(new EventDeliveryFailure(i, reason!, Retryable: false));
                }
            }
            catch (EventFormatException e)
            {
                _failures.Add(new EventDeliveryFailure(i, $"the event is not valid JSON: {e.Message}", Retryable: false));
            }
        }
        if (_body.Count > 0)
        {
            var response = await _client.SendAsync(_body.Written, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            RecordSpan(response.Details);
            ThrowIfRequestFailed(response);
            if (response.Items is { } items)
            {
                Settle(items);
            }
        }
        if (_failures.Count > 0)
        {
            ThrowFailures(batch.Count);
        }
    }

    /// <summary>Each write returns once Elasticsearch answered for every document of its batch: nothing is left to flush.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void ThrowIfRequestFailed(ElasticsearchBulkAnswer response)
    {
        var details = response.Details;
        if (details.HttpStatusCode is not { } status)
        {
            // No node answered (refused, reset, timed out): an outage, retried for as long as it takes.
            throw new HttpRequestException($"POST {details.Uri} got no answer from any endpoint: {details.OriginalException?.Message ?? "no response"}", details.OriginalException);
        }
        if (details.HasSuccessfulStatusCode)
        {
            if (response.ItemCount != _body.Count || (response.Items is { } items && items.Count != _body.Count))
            {
                // A 2xx that is no bulk answer for this body (a proxy's page, a truncated body): which documents were
                // written is unknown, and sending them again risks duplicates less than dropping them risks loss.
                throw new HttpRequestException($"POST {details.Uri} answered {status} with {(response.ItemCount < 0 ? "no bulk answer" : $"{response.ItemCount} bulk items")}, expected {_body.Count}");
            }
            return;
        }
        var error = response.Error ?? "(no error body)";
        var message = $"POST {details.Uri} answered {status}, expected 2xx; {error}";
        if (status >= 500 || status is (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.RequestTimeout)
        {
            var failure = new HttpRequestException(message, null, (HttpStatusCode)status);
            if (ElasticsearchBulkClient.RetryAfterOf(details) is { } after)
            {
                // It said when to come back (RFC 9110 section 10.2.3): the next attempt waits at least that long.
                throw new RetryableFailureException($"{message}; Retry-After {after.TotalSeconds}s", failure) { RetryAfter = after };
            }
            throw failure;
        }
        // 400 for the whole body, 401, 403, 404, 413: the same body gets the same answer, so retrying would only stall
        // the sink behind it.
        throw new PermanentFailureException(message);
    }

    private void Settle(IReadOnlyCollection<ResponseItem> items)
    {
        var item = 0;
        foreach (var result in items)
        {
            var batchIndex = _body.BatchIndexOf(item);
            var status = result.Status;
            if (status is >= 200 and < 300)
            {
                item++;
                continue;
            }
            if (status == (int)HttpStatusCode.Conflict && _body.Creates && _body.HasId(item))
            {
                // create with an _id found that _id written: by an earlier attempt of this same event whose answer
                // was lost (a timeout, a node that failed after writing). The event is there; sending it again could
                // only get the same 409.
                item++;
                continue;
            }
            var reason = $"elasticsearch refused the document for '{result.Index}' with {status}: {result.Error?.Type ?? "no error type"}: {result.Error?.Reason ?? "no reason"}";
            _failures.Add(new EventDeliveryFailure(batchIndex, reason, Retryable: status is (int)HttpStatusCode.TooManyRequests or >= 500));
            item++;
        }
    }

    private void ThrowFailures(int batchSize)
    {
        var first = _failures[0].Reason;
        if (_failures.Count == batchSize && _failures.TrueForAll(f => f.Retryable))
        {
            // Nothing went through and all of it may later: the whole batch waits, as in an outage.
            throw new RetryableFailureException($"elasticsearch took none of the {batchSize} documents of the batch for now; first: {first}");
        }
        _failures.Sort((a, b) => a.Index.CompareTo(b.Index));
        throw new PartialDeliveryException($"elasticsearch did not take {_failures.Count} of the {batchSize} documents of the batch; first: {first}", [.. _failures]);
    }

    private void RecordSpan(ApiCallDetails details)
    {
        if (details.Uri is not { } used)
        {
            return;
        }
        foreach (var (endpoint, span) in _spans)
        {
            if (endpoint.Host == used.Host && endpoint.Port == used.Port)
            {
                span.RecordRequest();
                if (details.HttpStatusCode is { } status)
                {
                    HttpClientSpan.RecordResponse(status);
                }
                return;
            }
        }
    }
}
