using System.Net;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests;

/// <summary>
/// The real binary with http → kafka against librdkafka's mock cluster: an acknowledged request is answered only once
/// Kafka has its records, and each record carries the request's trace onward in its traceparent header.
/// </summary>
public sealed class KafkaSinkProcessTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly MockKafkaCluster _cluster = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task An_acknowledged_request_is_answered_once_kafka_holds_its_records_each_with_the_requests_trace()
    {
        var ingestPort = FreePort.Next();
        const string topic = "app-{{ .service }}";
        await using var pipeline = await PipelineProcess.StartAsync("kafka-sink", $$"""
            name: it-kafka-sink
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            sources:
              ingest: { type: http, address: "127.0.0.1:{{ingestPort}}", acknowledgements: true }
            sinks:
              out: { type: kafka, inputs: [ingest], bootstrap_servers: "{{_cluster.BootstrapServers}}", topic: "{{topic}}" }
            """);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingestPort}"), Timeout = Patience };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = new StringContent("""
                {"service":"checkout","id":1}
                {"service":"checkout","id":2}
                {"id":3}
                """, Encoding.UTF8, "application/x-ndjson"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");

        using var response = await http.SendAsync(request, Ct);
        var answer = await response.Content.ReadAsStringAsync(Ct);

        // The event without .service has no topic: dead-lettered with the reason, so the answer is 422 naming its line.
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, answer);
        Assert.Contains("needs .service", answer, StringComparison.Ordinal);
        using (var acknowledged = JsonDocument.Parse(answer))
        {
            var counts = acknowledged.RootElement.GetProperty("acknowledged");
            Assert.Equal((2, 1), (counts.GetProperty("delivered").GetInt32(), counts.GetProperty("dead_lettered").GetInt32()));
        }
        var records = Read("app-checkout", expected: 2);
        Assert.Equal([1, 2], records.Select(r => JsonDocument.Parse(r.Message.Value).RootElement.GetProperty("id").GetInt32()).Order());
        Assert.All(records, r =>
        {
            Assert.True(r.Message.Headers.TryGetLastBytes("traceparent", out var header));
            Assert.StartsWith($"00-{traceId}-", Encoding.UTF8.GetString(header), StringComparison.Ordinal);
            Assert.Equal(traceId, Encoding.UTF8.GetString(r.Message.Key));
        });
        var deadLetter = Assert.Single(pipeline.DeadLetters());
        Assert.Contains("needs .service", deadLetter.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Every record of the topic, every partition read to its high watermark.</summary>
    private List<ConsumeResult<byte[], byte[]>> Read(string topic, int expected)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = _cluster.BootstrapServers, GroupId = "reader" })
            .SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var ends = admin.GetMetadata(topic, Patience).Topics.Single().Partitions
            .Select(p => new TopicPartitionOffset(topic, p.PartitionId, consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), Patience).High))
            .Where(end => end.Offset.Value > 0).ToList();
        Assert.Equal(expected, ends.Sum(end => end.Offset.Value));
        consumer.Assign(ends.Select(end => new TopicPartitionOffset(end.TopicPartition, Offset.Beginning)));
        var records = new List<ConsumeResult<byte[], byte[]>>();
        while (records.Count < expected)
        {
            records.Add(consumer.Consume(Patience) ?? throw new TimeoutException($"{topic} gave {records.Count} of {expected} records within {Patience}"));
        }
        return records;
    }
}
