using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using Pipeline.Components;
using Pipeline.Sources.Otlp;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Otlp;

/// <summary>The otlp source in a running topology: backpressure from a held sink, acknowledgements, and what a bad request leaves behind.</summary>
public sealed class OtlpSourcePipelineTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_held_sink_turns_exports_into_resource_exhausted_and_429_and_every_accepted_record_is_delivered()
    {
        var gate = new SinkGate();
        await using var running = await StartAsync(gate.Sink, c => c.BackpressureTimeout = TimeSpan.FromMilliseconds(50));
        using var channel = GrpcChannel.ForAddress(running.Grpc);
        var client = new LogsService.LogsServiceClient(channel);

        var accepted = 0;
        RpcException? exhausted = null;
        for (var i = 0; i < 50 && exhausted is null; i++)
        {
            try
            {
                await client.ExportAsync(OtlpSourceHttpTests.Request($"grpc {i}"), cancellationToken: Ct);
                accepted++;
                if (i == 0)
                {
                    // The sink holds the first record from here on; what follows fills its mailbox.
                    await gate.Entered.Guarded();
                }
            }
            catch (RpcException ex)
            {
                exhausted = ex;
            }
        }
        using var http = new HttpClient();
        using var content = new ByteArrayContent(OtlpSourceHttpTests.Request("http").ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var tooMany = await http.PostAsync(new Uri(running.Http, "/v1/logs"), content, Ct);

        Assert.NotNull(exhausted);
        Assert.Equal(StatusCode.ResourceExhausted, exhausted.StatusCode);
        Assert.InRange(accepted, 1, 10);
        Assert.Equal((HttpStatusCode)429, tooMany.StatusCode);
        Assert.NotNull(tooMany.Headers.RetryAfter);
        gate.Release();
        await WaitUntilAsync(() => gate.Sink.Delivered.Count == accepted);
        Assert.All(gate.Sink.Delivered, e => Assert.StartsWith("grpc ", JsonDocument.Parse(e).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_acknowledgements_the_answer_waits_for_delivery_and_names_a_dead_lettered_record_as_rejected()
    {
        var gate = new SinkGate();
        var sink = new RecordingSink
        {
            BeforeWrite = async (batch, _) =>
            {
                await gate.Sink.CreateForIsolate(0).WriteAsync(batch, CancellationToken.None);
                if (batch.Any(e => e.ToString().Contains("\"bad\"", StringComparison.Ordinal)))
                {
                    throw new PermanentFailureException("mapping conflict on .message");
                }
            },
        };
        await using var running = await StartAsync(sink, acknowledgements: true, batchSize: 1);
        using var channel = GrpcChannel.ForAddress(running.Grpc);

        var answer = new LogsService.LogsServiceClient(channel).ExportAsync(OtlpSourceHttpTests.Request("good", "bad", "fine"), cancellationToken: Ct).ResponseAsync;
        await gate.Entered.Guarded();
        Assert.False(answer.IsCompleted, "answered before the sink had delivered");
        gate.Release();
        var response = await answer.Guarded();

        Assert.Equal(1, response.PartialSuccess.RejectedLogRecords);
        Assert.StartsWith("log record 1: dead-lettered: ", response.PartialSuccess.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("mapping conflict on .message", response.PartialSuccess.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(["good", "fine"], sink.Delivered.Select(e => JsonDocument.Parse(e).RootElement.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_body_that_does_not_decode_is_counted_and_written_to_the_dead_letter_file_with_the_reason()
    {
        await using var running = await StartAsync(new RecordingSink());
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(running.Http, "/v1/logs"),
            new StringContent("""{"resourceLogs":[""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, running.Pipeline.MetricsOf("in", "source").ErrorCounter("invalid_input").Value);
        await WaitUntilAsync(() => running.Pipeline.DeadLetters().Count == 1);
        var record = Assert.Single(running.Pipeline.DeadLetters());
        Assert.StartsWith("not a valid OTLP/JSON ExportLogsServiceRequest: invalid JSON", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("""{"resourceLogs":[""", record.GetProperty("raw").GetString());
        Assert.Equal("in", record.GetProperty("component_id").GetString());
    }

    private static async Task<Running> StartAsync(RecordingSink sink, Action<OtlpSourceConfig>? configure = null, bool acknowledgements = false, int batchSize = 16)
    {
        var config = new OtlpSourceConfig { Grpc = new(), Http = new() };
        configure?.Invoke(config);
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var source = new OtlpSource(loopback, loopback, config);
        var pipeline = new TestPipeline()
            .Source("in", new SourceFactory(() => source) { ReceivesRequests = true }, acknowledgements)
            .Sink("out", sink, ["in"], TestPipeline.Settings(mailbox: 2, batchSize: batchSize, maxAttempts: 1));
        await pipeline.StartAsync();
        var grpc = (await source.GrpcListening.WaitAsync(HangGuard, Ct)).Single();
        var http = (await source.HttpListening.WaitAsync(HangGuard, Ct)).Single();
        return new Running(pipeline, grpc, http);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < HangGuard, "the condition did not come true in time");
            await Task.Delay(10, Ct);
        }
    }

    private sealed record Running(TestPipeline Pipeline, Uri Grpc, Uri Http) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Pipeline.DisposeAsync();
    }
}
