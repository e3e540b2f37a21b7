using System.Text.Json;
using DotNet.Testcontainers.Builders;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>Jaeger v2 (the compose stack's trace backend) receives the pipeline's spans over OTLP/gRPC and its query API finds the event's whole trace.</summary>
public sealed class JaegerContainerTests
{
    private const string Image = "jaegertracing/jaeger:2.10.0";

    [Fact]
    public async Task Jaeger_finds_the_trace_of_a_sampled_event_with_its_receive_process_and_send_spans()
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        await using var jaeger = new ContainerBuilder(Image)
            .WithPortBinding(4317, true)
            .WithPortBinding(16686, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(16686).ForPath("/api/services")))
            .Build();
        await jaeger.StartAsync(TestContext.Current.CancellationToken);
        var otlp = $"http://{jaeger.Hostname}:{jaeger.GetMappedPublicPort(4317)}";
        using var query = new HttpClient { BaseAddress = new Uri($"http://{jaeger.Hostname}:{jaeger.GetMappedPublicPort(16686)}/") };

        var ingestPort = FreePort.Next();
        await using var pipeline = await PipelineProcess.StartAsync("jaeger", $$"""
            name: it-jaeger
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            telemetry:
              traces: { exporter: otlp, endpoint: "{{otlp}}", protocol: grpc, ratio: 0, scheduled_delay: 200ms }
            sources:
              in: { type: http, address: "127.0.0.1:{{ingestPort}}" }
            stages:
              keep: { type: filter, inputs: [in], condition: '.level != "debug"' }
            sinks:
              out: { type: blackhole, inputs: [keep] }
            """);
        var (traceParent, traceId) = ObservedStack.NewSampledTraceParent();
        using var client = new HttpClient();
        using var body = new StringContent(JsonSerializer.Serialize(new { traceparent = traceParent, level = "info" }) + "\n");
        (await client.PostAsync($"http://127.0.0.1:{ingestPort}/v1/events", body, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        string[] expected = ["receive in", "process keep", "send out"];
        var names = await Poll.UntilAsync(async () =>
            {
                using var response = await query.GetAsync($"api/traces/{traceId}", TestContext.Current.CancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return new List<string>();
                }
                using var trace = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                return trace.RootElement.GetProperty("data").EnumerateArray()
                    .SelectMany(t => t.GetProperty("spans").EnumerateArray()).Select(s => s.GetProperty("operationName").GetString()!).ToList();
            },
            found => expected.All(found.Contains), TimeSpan.FromSeconds(60), $"trace {traceId} in Jaeger");
        Assert.Subset(names.ToHashSet(), expected.ToHashSet());
    }
}
