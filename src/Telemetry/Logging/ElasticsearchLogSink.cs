using System.Text.Json.Nodes;
using Elastic.Clients.Elasticsearch;
using Elastic.Clients.Elasticsearch.Core.Bulk;
using Elastic.Transport;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// Ships log batches to an Elasticsearch data stream with the bulk API: one <c>create</c> operation per event, each
/// document in ECS (<see cref="EcsLogDocument"/>).
/// </summary>
/// <remarks>
/// Written here because Serilog.Sinks.Elasticsearch is not served. It follows <see cref="IBatchedLogEventSink"/>'s
/// contract: a failed request throws, and Serilog's batching retries it with backoff until the retry time limit.
/// Items the cluster rejects one by one (a mapping conflict, say) are not retried: a resend would duplicate the items
/// that succeeded, since data streams only take <c>create</c> with generated ids. They are counted as dropped.
/// </remarks>
public sealed class ElasticsearchLogSink : IBatchedLogEventSink
{
    private readonly ElasticsearchClient _client;
    private readonly IndexName _dataStream;
    private readonly LogServiceIdentity _service;
    private readonly LogExportCounters _counters;
    private readonly Action<int> _completed;

    /// <param name="completed">Told how many events each finished batch took off the queue.</param>
    public ElasticsearchLogSink(ElasticsearchLogOptions options, LogServiceIdentity service, LogExportCounters counters, Action<int>? completed = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Urls.Count == 0)
        {
            throw new ArgumentException("telemetry.logs.elasticsearch_urls: expected at least one URL, found none", nameof(options));
        }
        NodePool pool = options.Urls.Count == 1 ? new SingleNodePool(options.Urls[0]) : new StaticNodePool(options.Urls);
        var settings = new ElasticsearchClientSettings(pool)
            // Serilog's batching owns retries and backoff; the client retrying too would multiply the wait.
            .MaximumRetries(0)
            .RequestTimeout(options.RequestTimeout);
        if (options.ApiKey is not null)
        {
            settings = settings.Authentication(new ApiKey(options.ApiKey));
        }
        else if (options.Username is not null)
        {
            settings = settings.Authentication(new BasicAuthentication(options.Username, options.Password ?? ""));
        }
        _client = new ElasticsearchClient(settings);
        _dataStream = options.DataStream;
        _service = service;
        _counters = counters;
        _completed = completed ?? (_ => { });
    }

    public async Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var operations = new BulkOperationsCollection();
        foreach (var logEvent in batch)
        {
            operations.Add(new BulkCreateOperation<JsonObject>(EcsLogDocument.Create(logEvent, _service)));
        }
        var response = await _client.BulkAsync(new BulkRequest(_dataStream) { Operations = operations }).ConfigureAwait(false);
        if (!response.ApiCallDetails.HasSuccessfulStatusCode || response.Items is null)
        {
            response.TryGetOriginalException(out var cause);
            throw new HttpRequestException(
                $"Elasticsearch bulk request to data stream '{_dataStream}' failed: expected a 2xx bulk response, found {Describe(response.ApiCallDetails)}",
                cause);
        }
        var rejected = 0;
        string? firstReason = null;
        foreach (var item in response.Items)
        {
            if (!item.IsValid)
            {
                rejected++;
                firstReason ??= $"{item.Status} {item.Error?.Type}: {item.Error?.Reason}";
            }
        }
        _counters.AddExported(batch.Count - rejected);
        if (rejected > 0)
        {
            _counters.AddDropped(rejected);
            SelfLog.WriteLine("Elasticsearch rejected {0} of {1} log documents; first: {2}", rejected, batch.Count, firstReason);
        }
        _completed(batch.Count);
    }

    public Task OnEmptyBatchAsync() => Task.CompletedTask;

    private static string Describe(ApiCallDetails details)
        => details.HttpStatusCode is { } status ? $"HTTP {status}" : details.OriginalException?.Message ?? "no response";
}
