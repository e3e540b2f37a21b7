using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests.Otlp;

/// <summary>
/// The real binary with http → otlp into a real OTLP receiver (the Aspire dashboard), over gRPC and over
/// HTTP/protobuf: every event arrives as a log record with the request's trace id, its severity and its attributes.
/// </summary>
public sealed class OtlpSinkProcessTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Every_event_arrives_as_a_log_record_with_the_requests_trace_id_its_severity_and_its_attributes(string protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var ingestPort = FreePort.Next();
        var endpoint = protocol == "grpc" ? receiver.GrpcEndpoint : receiver.HttpEndpoint;
        await using var pipeline = await PipelineProcess.StartAsync("otlp-sink", $$"""
            name: it-otlp-sink
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            sources:
              ingest: { type: http, address: "127.0.0.1:{{ingestPort}}", acknowledgements: true }
            sinks:
              out: { type: otlp, inputs: [ingest], endpoint: "{{endpoint}}", protocol: {{protocol}} }
            """);
        var run = Guid.NewGuid().ToString("N");
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using (var client = new HttpClient())
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{ingestPort}/v1/events"))
        {
            request.Content = new StringContent($$"""
                {"message":"payment declined","level":"error","service":"checkout","run":"{{run}}","order":1,"amount":12.5}
                {"message":"payment retried","level":"warn","service":"checkout","run":"{{run}}","order":2,"amount":12.5}
                {"message":"payment accepted","level":"info","service":"checkout","run":"{{run}}","order":3,"amount":12.5}
                """, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            // Acknowledged: answered only once the receiver took the records.
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}\n{pipeline.Tail()}");
        }

        var records = await Poll.UntilAsync(
            async () => (await receiver.LogRecordsAsync()).Where(r => r.Attributes.GetValueOrDefault("run") == run).ToList(),
            found => found.Count == 3, Within, $"three log records of run {run} in the receiver\n{receiver.Tail()}");

        // The dashboard answers its own name for a severity number (Error, Warning), so the number is what is compared.
        Assert.Equal(["1 payment declined 17", "2 payment retried 13", "3 payment accepted 9"],
            records.Select(r => $"{r.Attributes["order"]} {r.Body} {r.SeverityNumber}").Order());
        Assert.All(records, r =>
        {
            Assert.Equal(traceId, r.TraceId);
            Assert.Equal("12.5", r.Attributes["amount"]);
            Assert.Equal("checkout", r.Resource.GetValueOrDefault("service.name"));
            Assert.DoesNotContain("level", r.Attributes.Keys);
        });
        Assert.Empty(pipeline.DeadLetters());
    }
}
