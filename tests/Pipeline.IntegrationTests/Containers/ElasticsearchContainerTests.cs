using System.Text;
using System.Text.Json;
using DotNet.Testcontainers.Builders;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>
/// Elasticsearch (the compose stack's log store) receives the pipeline's own logs; the line about a dead-lettered
/// event is found by <c>trace.id</c>, the id its dead-letter record carries.
/// </summary>
public sealed class ElasticsearchContainerTests
{
    private const string Image = "docker.elastic.co/elasticsearch/elasticsearch:9.1.3";

    [Fact]
    public async Task The_log_document_of_a_dead_lettered_event_is_found_by_its_trace_id()
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        await using var elasticsearch = new ContainerBuilder(Image)
            .WithEnvironment("discovery.type", "single-node")
            .WithEnvironment("xpack.security.enabled", "false")
            .WithEnvironment("ES_JAVA_OPTS", "-Xms512m -Xmx512m")
            .WithPortBinding(9200, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(9200).ForPath("/_cluster/health?wait_for_status=yellow&timeout=1s")))
            .Build();
        await elasticsearch.StartAsync(TestContext.Current.CancellationToken);
        var url = $"http://{elasticsearch.Hostname}:{elasticsearch.GetMappedPublicPort(9200)}";
        using var es = new HttpClient { BaseAddress = new Uri(url + "/") };

        var ingestPort = FreePort.Next();
        await using var pipeline = await PipelineProcess.StartAsync("elasticsearch", $$"""
            name: it-elasticsearch
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            telemetry:
              logs: { elasticsearch_urls: ["{{url}}"], batch_timeout: 200ms }
            sources:
              in: { type: http, address: "127.0.0.1:{{ingestPort}}" }
            stages:
              parse: { type: parse_json, inputs: [in], field: .raw, max_attempts: 1 }
            sinks:
              out: { type: blackhole, inputs: [parse] }
            """);
        using var client = new HttpClient();
        using var body = new StringContent(JsonSerializer.Serialize(new { raw = "not json" }) + "\n");
        (await client.PostAsync($"http://127.0.0.1:{ingestPort}/v1/events", body, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var record = await Poll.UntilAsync(() => Task.FromResult(pipeline.DeadLetters().ToList()), r => r.Count == 1, TimeSpan.FromSeconds(30), "the dead-letter record");
        var traceId = record[0].GetProperty("trace_id").GetString()!;

        var hits = await Poll.UntilAsync(async () =>
            {
                using var search = new StringContent(JsonSerializer.Serialize(new { query = new { term = new Dictionary<string, string> { ["trace.id"] = traceId } } }), Encoding.UTF8, "application/json");
                using var response = await es.PostAsync("logs-pipeline-default/_search", search, TestContext.Current.CancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return 0;
                }
                using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                return result.RootElement.GetProperty("hits").GetProperty("total").GetProperty("value").GetInt32();
            },
            count => count > 0, TimeSpan.FromSeconds(60), $"a log document with trace.id {traceId} in logs-pipeline-default");
        Assert.True(hits > 0);
    }
}
