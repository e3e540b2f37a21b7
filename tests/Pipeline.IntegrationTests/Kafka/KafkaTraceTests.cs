using System.Net.Http.Headers;
using System.Text;
using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests.Kafka;

/// <summary>
/// The two tiers as deployed: an agent (http → kafka) and an aggregator (kafka → file), two real processes, both
/// exporting spans to a real OTLP receiver. A request's trace crosses Kafka in the record's traceparent header and is
/// one trace in the receiver, with spans of both processes.
/// </summary>
public sealed class KafkaTraceTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_sampled_request_is_one_trace_from_the_agents_ingest_through_kafka_to_the_aggregators_delivery()
    {
        using var cluster = new MockKafkaCluster();
        using var kafka = new KafkaBackend(cluster.BootstrapServers);
        await using var receiver = await OtlpReceiver.StartAsync();
        var topic = $"it-trace-{Guid.NewGuid():N}";
        var traces = KafkaTopologies.SampledTraces(receiver.GrpcEndpoint);
        var ingestPort = FreePort.Next();
        await using var agent = await PipelineProcess.StartAsync("kafka-agent", KafkaTopologies.Agent(kafka.BootstrapServers, topic, ingestPort, traces));
        await using var aggregator = await PipelineProcess.StartAsync("kafka-aggregator",
            KafkaTopologies.Consumer("aggregator", kafka.BootstrapServers, $"it-trace-{Guid.NewGuid():N}", topic, traces));

        var (traceParent, traceId) = ObservedStack.NewSampledTraceParent();
        using (var client = new HttpClient())
        using (var body = new StringContent($$"""{"traceparent":"{{traceParent}}","id":1,"message":"traced"}""" + "\n", Encoding.UTF8))
        {
            body.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            (await client.PostAsync($"http://127.0.0.1:{ingestPort}/v1/events", body, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        var record = kafka.ReadAll(topic, 1, Within).Single();
        Assert.StartsWith($"00-{traceId}-", record.Headers.GetValueOrDefault("traceparent") ?? "", StringComparison.Ordinal);
        var aggregatorOutput = Path.Combine(aggregator.DataDirectory, KafkaTopologies.OutputFile);
        await Poll.UntilAsync(() => Task.FromResult(ConsumedRecord.ReadFile(aggregatorOutput)), written => written.Any(r => r.Id == 1), Within,
            $"the aggregator writing the record\n{aggregator.Tail()}", TimeSpan.FromMilliseconds(50));
        var trace = await Poll.LastAsync(() => receiver.TraceAsync(traceId),
            spans => new[] { "send to_kafka", "receive records", "send out" }.All(name => spans.Any(s => s.Name == name)), Within, TimeSpan.FromMilliseconds(200));

        var described = string.Join(", ", trace.OrderBy(s => s.StartNanos).Select(s => $"'{s.Name}' {s.SpanId}←{s.ParentSpanId} kind {s.Kind} instance {s.Resource.GetValueOrDefault("service.instance.id")}"));
        var agentSend = trace.SingleOrDefault(s => s.Name == "send to_kafka" && s.Kind == ReceivedSpan.Producer);
        var aggregatorReceive = trace.SingleOrDefault(s => s.Name == "receive records");
        var aggregatorSend = trace.SingleOrDefault(s => s.Name == "send out" && s.Kind == ReceivedSpan.Producer);
        Assert.True(agentSend is not null && aggregatorReceive is not null && aggregatorSend is not null,
            $"trace {traceId} lacks the agent's 'send to_kafka', the aggregator's 'receive records' or its 'send out': {described}");
        Assert.True(aggregatorReceive.ParentSpanId == agentSend.SpanId,
            $"the aggregator's ingest span is not a child of the agent's send span (the record's traceparent): {described}");
        var agentInstance = agentSend.Resource.GetValueOrDefault("service.instance.id");
        var aggregatorInstance = aggregatorReceive.Resource.GetValueOrDefault("service.instance.id");
        Assert.False(string.IsNullOrEmpty(agentInstance), $"the agent's spans carry no service.instance.id: {described}");
        Assert.NotEqual(agentInstance, aggregatorInstance);
        Assert.Equal(aggregatorInstance, aggregatorSend.Resource.GetValueOrDefault("service.instance.id"));
        Assert.Contains(trace, s => s.Name == "receive ingest" && s.Resource.GetValueOrDefault("service.instance.id") == agentInstance);
    }
}
