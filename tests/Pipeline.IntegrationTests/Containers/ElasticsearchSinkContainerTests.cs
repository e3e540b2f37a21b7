using System.Text;
using System.Text.Json;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>
/// The elasticsearch sink of the real binary into a real Elasticsearch: documents read back from a data stream in ECS
/// and from a dated index, and a document the index's mapping refuses dead-lettered with Elasticsearch's reason.
/// </summary>
public sealed class ElasticsearchSinkContainerTests
{
    private const string Image = "docker.elastic.co/elasticsearch/elasticsearch:9.1.3";

    // Pipeline's own template syntax, kept out of the raw strings whose interpolation braces it would clash with.
    private const string ServiceTemplate = "{{ .service }}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Events_land_in_the_data_stream_as_ecs_documents_found_by_their_trace_id()
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        await using var elasticsearch = await StartElasticsearchAsync();
        var url = Url(elasticsearch);
        using var es = new HttpClient { BaseAddress = new Uri(url + "/") };
        var ingestPort = FreePort.Next();
        await using var pipeline = await PipelineProcess.StartAsync("es-sink-ecs", $$"""
            name: it-es-sink-ecs
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            sources:
              in: { type: http, address: "127.0.0.1:{{ingestPort}}" }
            sinks:
              store: { type: elasticsearch, inputs: [in], endpoints: ["{{url}}"], data_stream: { dataset: "{{ServiceTemplate}}" }, encoding: ecs, batch_timeout: 100ms }
            """);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

        await PostAsync(ingestPort, """{"timestamp":"2026-12-04T10:00:00.123Z","message":"paid","level":"info","service":"checkout","host":"web-1"}""",
            $"00-{traceId}-00f067aa0ba902b7-01");

        var document = await Poll.UntilAsync(() => FirstHitAsync(es, "logs-checkout-default", "trace.id", traceId), d => d is not null, TimeSpan.FromSeconds(60),
            $"the document with trace.id {traceId} in logs-checkout-default");
        Assert.Equal("paid", document!.Value.GetProperty("message").GetString());
        Assert.Equal("info", document.Value.GetProperty("log").GetProperty("level").GetString());
        Assert.Equal("checkout", document.Value.GetProperty("service").GetProperty("name").GetString());
        Assert.Equal("web-1", document.Value.GetProperty("host").GetProperty("name").GetString());
        Assert.Equal("2026-12-04T10:00:00.123Z", document.Value.GetProperty("@timestamp").GetString());
    }

    [Fact]
    public async Task A_document_the_mapping_refuses_is_dead_lettered_with_elasticsearchs_reason_and_the_rest_written_into_the_dated_index()
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        await using var elasticsearch = await StartElasticsearchAsync();
        var url = Url(elasticsearch);
        using var es = new HttpClient { BaseAddress = new Uri(url + "/") };
        using (var mapping = new StringContent("""{"mappings":{"properties":{"status":{"type":"integer"}}}}""", Encoding.UTF8, "application/json"))
        {
            (await es.PutAsync("app-2026.12.04", mapping, Ct)).EnsureSuccessStatusCode();
        }
        var ingestPort = FreePort.Next();
        await using var pipeline = await PipelineProcess.StartAsync("es-sink-bulk", $$"""
            name: it-es-sink-bulk
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            sources:
              in: { type: http, address: "127.0.0.1:{{ingestPort}}" }
            sinks:
              store: { type: elasticsearch, inputs: [in], endpoints: ["{{url}}"], mode: bulk, bulk: { index: "app-%Y.%m.%d" }, id_field: .id, batch_timeout: 100ms }
            """);

        await PostAsync(ingestPort, """
            {"id":"a","timestamp":"2026-12-04T10:00:00Z","status":200}
            {"id":"b","timestamp":"2026-12-04T10:00:01Z","status":"not a number"}
            {"id":"c","timestamp":"2026-12-04T10:00:02Z","status":503}
            """, traceparent: null);

        var dead = await Poll.UntilAsync(() => Task.FromResult(pipeline.DeadLetters().ToList()), r => r.Count == 1, TimeSpan.FromSeconds(60), "the dead-letter record");
        Assert.Equal("b", dead[0].GetProperty("event").GetProperty("id").GetString());
        Assert.Contains("with 400: document_parsing_exception", dead[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        var count = await Poll.UntilAsync(() => CountAsync(es, "app-2026.12.04"), n => n >= 2, TimeSpan.FromSeconds(30), "two documents in app-2026.12.04");
        Assert.Equal(2, count);
    }

    private static async Task<IContainer> StartElasticsearchAsync()
    {
        var container = new ContainerBuilder(Image)
            .WithEnvironment("discovery.type", "single-node")
            .WithEnvironment("xpack.security.enabled", "false")
            .WithEnvironment("ES_JAVA_OPTS", "-Xms512m -Xmx512m")
            .WithPortBinding(9200, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(9200).ForPath("/_cluster/health?wait_for_status=yellow&timeout=1s")))
            .Build();
        await container.StartAsync(Ct);
        return container;
    }

    private static string Url(IContainer elasticsearch) => $"http://{elasticsearch.Hostname}:{elasticsearch.GetMappedPublicPort(9200)}";

    private static async Task PostAsync(int ingestPort, string ndjson, string? traceparent)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{ingestPort}/v1/events") { Content = new StringContent(ndjson + "\n", Encoding.UTF8, "application/x-ndjson") };
        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }
        (await client.SendAsync(request, Ct)).EnsureSuccessStatusCode();
    }

    private static async Task<JsonElement?> FirstHitAsync(HttpClient es, string target, string field, string value)
    {
        using var search = new StringContent(JsonSerializer.Serialize(new { query = new { term = new Dictionary<string, string> { [field] = value } } }), Encoding.UTF8, "application/json");
        using var response = await es.PostAsync($"{target}/_search", search, Ct);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var hits = result.RootElement.GetProperty("hits").GetProperty("hits");
        return hits.GetArrayLength() > 0 ? hits[0].GetProperty("_source").Clone() : null;
    }

    private static async Task<int> CountAsync(HttpClient es, string index)
    {
        using var response = await es.GetAsync($"{index}/_count", Ct);
        if (!response.IsSuccessStatusCode)
        {
            return 0;
        }
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return result.RootElement.GetProperty("count").GetInt32();
    }
}
