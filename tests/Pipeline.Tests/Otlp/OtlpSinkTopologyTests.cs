using Grpc.Core;
using Pipeline.Components;
using Pipeline.Isolates;
using Pipeline.Sinks.Otlp;
using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Otlp;

/// <summary>The otlp sink in a running topology: the runtime retries what the receiver calls retryable and dead-letters what it refuses for good.</summary>
public sealed class OtlpSinkTopologyTests : IAsyncLifetime
{
    private FakeOtlpReceiver _receiver = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await FakeOtlpReceiver.StartAsync();

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_receiver_that_is_unavailable_twice_gets_the_batch_on_the_third_attempt_every_event_once_with_its_trace()
    {
        _receiver.Script(
            new FakeOtlpReceiver.Answer(GrpcStatus: StatusCode.Unavailable, Message: "starting"),
            new FakeOtlpReceiver.Answer(GrpcStatus: StatusCode.Unavailable, Message: "starting"));
        var (pipeline, result) = await RunAsync("grpc", events: 3);
        await using (pipeline)
        {
            Assert.Equal((3, 0), (result.Delivered, result.DeadLettered));
            Assert.Equal(3, _receiver.Requests.Count);
            var records = _receiver.Records().ToList();
            Assert.Equal(["1", "2", "3"], records.Select(r => r.Attributes.Single(a => a.Key == "seq").Value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.All(records, r => Assert.Equal(16, r.TraceId.Length));
            Assert.Empty(pipeline.DeadLetters());
        }
    }

    [Fact]
    public async Task A_permanent_refusal_dead_letters_the_batch_at_once_with_the_receivers_status()
    {
        _receiver.Script(new FakeOtlpReceiver.Answer(HttpStatus: 400, Message: "unknown field"));
        var (pipeline, result) = await RunAsync("http/protobuf", events: 2);
        await using (pipeline)
        {
            Assert.Equal((0, 2), (result.Delivered, result.DeadLettered));
            Assert.Single(_receiver.Requests);
            Assert.All(pipeline.DeadLetters(), record => Assert.Contains("answered 400 Bad Request: unknown field", record.GetProperty("reason").GetString(), StringComparison.Ordinal));
        }
    }

    private async Task<(TestPipeline Pipeline, SourceBatchResult Result)> RunAsync(string protocol, int events)
    {
        var source = new ControlledSource();
        var settings = TestPipeline.Settings(batchSize: events);
        settings.BatchTimeout = TimeSpan.FromHours(1);
        var config = new OtlpSinkConfig { Protocol = protocol, Endpoint = (protocol == "grpc" ? _receiver.GrpcEndpoint : _receiver.HttpEndpoint).ToString() };
        var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", config.Build(new ComponentContext("out", "test", Path.GetTempPath()) { Environment = _ => null }), ["in"], settings);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();
        var batch = context.BeginBatch()!;
        for (var seq = 1; seq <= events; seq++)
        {
            Assert.Equal(SendResult.Accepted, await context.SendWithinAsync(Seq(seq), default, Timeout.InfiniteTimeSpan, batch, seq, Ct));
        }
        batch.Seal();
        return (pipeline, await batch.Completion.Guarded());
    }
}
