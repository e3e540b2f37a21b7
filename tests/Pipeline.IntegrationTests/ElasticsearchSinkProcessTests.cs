using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Elasticsearch;

namespace Pipeline.IntegrationTests;

/// <summary>
/// The real binary with http → elasticsearch against an in-process endpoint that answers as <c>_bulk</c> does: an
/// acknowledged request is answered once every document is settled, through an outage and a refused document.
/// </summary>
public sealed class ElasticsearchSinkProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private FakeBulkEndpoint _es = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _es = await FakeBulkEndpoint.StartAsync();

    public async ValueTask DisposeAsync() => await _es.DisposeAsync();

    [Fact]
    public async Task Through_a_503_the_batch_is_retried_and_the_answer_names_the_refused_document_dead_lettered_while_the_rest_is_written_once()
    {
        _es.AnswerNextWith(503);
        _es.ItemStatus = item => item.Seq == 2 ? 400 : 201;
        var ingestPort = FreePort.Next();
        await using var pipeline = await PipelineProcess.StartAsync("es-sink", $$"""
            name: it-es-sink
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            sources:
              ingest: { type: http, address: "127.0.0.1:{{ingestPort}}", acknowledgements: true }
            sinks:
              out: { type: elasticsearch, inputs: [ingest], endpoints: ["{{_es.Uri}}"], id_field: .seq }
            """);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingestPort}"), Timeout = Patience };

        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync("/v1/events", new StringContent("{\"seq\":1}\n{\"seq\":2}\n{\"seq\":3}\n", System.Text.Encoding.UTF8, "application/x-ndjson"), Ct);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"POST to the ready pipeline's ingest port failed (exited: {pipeline.HasExited}):\n{pipeline.Tail()}", ex);
        }
        using var _ = response;

        // 422: the http source's answer when some lines were dead-lettered, each named with the sink's reason.
        var answer = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((int)response.StatusCode == 422, $"{(int)response.StatusCode}: {answer}");
        Assert.Contains("\"line\":2,\"error\":\"dead-lettered: elasticsearch refused the document for 'logs-generic-default' with 400: document_parsing_exception", answer, StringComparison.Ordinal);
        // The sink takes what is there (batch_timeout 0s), so the three may come in more than one batch after the 503.
        Assert.Equal(503, _es.Requests[0].Status);
        Assert.All(_es.Requests.Skip(1), r => Assert.Equal(200, r.Status));
        Assert.Equal([1, 3], _es.Accepted.Select(i => i.Seq).Order());
        var dead = Assert.Single(pipeline.DeadLetters());
        Assert.Equal(2, dead.GetProperty("event").GetProperty("seq").GetInt32());
        Assert.Contains("with 400: document_parsing_exception", dead.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
