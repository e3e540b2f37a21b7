using System.Diagnostics;
using Grpc.Core;
using OpenTelemetry.Proto.Logs.V1;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sinks.Otlp;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Otlp;

/// <summary>The otlp sink against a receiver in the test process, over gRPC and HTTP/protobuf: what arrives, and what each answer makes of the batch.</summary>
public sealed class OtlpSinkTests : IAsyncLifetime
{
    private static readonly ActivityContext Traced = new(
        ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"), ActivitySpanId.CreateFromString("00f067aa0ba902b7"), ActivityTraceFlags.Recorded);

    private FakeOtlpReceiver _receiver = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await FakeOtlpReceiver.StartAsync();

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    [Theory]
    [InlineData("grpc", "none")]
    [InlineData("grpc", "gzip")]
    [InlineData("http/protobuf", "none")]
    [InlineData("http/protobuf", "gzip")]
    public async Task A_batch_arrives_as_one_request_with_its_records_trace_contexts_and_the_configured_headers(string protocol, string compression)
    {
        await using var sink = Sink(protocol, c =>
        {
            c.Headers = new() { ["X-Api-Key"] = "k1" };
            c.Compression = compression == "gzip" ? OtlpSinkConfig.RequestCompression.Gzip : OtlpSinkConfig.RequestCompression.None;
        });

        await sink.WriteAsync([Event.Parse("""{"message":"one","level":"info"}"""), Event.Parse("""{"message":"two"}""")], [Traced, default], Ct);

        var received = Assert.Single(_receiver.Requests);
        Assert.Equal("k1", received.Headers["x-api-key"]);
        if (protocol == "http/protobuf")
        {
            Assert.Equal("application/x-protobuf", received.ContentType);
        }
        Assert.Equal(compression == "gzip" ? "gzip" : null, received.Headers.GetValueOrDefault(protocol == "grpc" ? "grpc-encoding" : "content-encoding"));
        var records = _receiver.Records().ToList();
        Assert.Equal(["one", "two"], records.Select(r => r.Body.StringValue));
        Assert.Equal(SeverityNumber.Info, records[0].SeverityNumber);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", Convert.ToHexStringLower(records[0].TraceId.Span));
        Assert.True(records[1].TraceId.IsEmpty);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.DeadlineExceeded)]
    public async Task A_retryable_grpc_status_is_an_outage_to_retry_after_the_receivers_retry_info_delay(StatusCode code)
    {
        _receiver.Script(new FakeOtlpReceiver.Answer(GrpcStatus: code, Message: "collector busy", RetryAfterSeconds: 7));
        await using var sink = Sink("grpc");

        var failure = await Assert.ThrowsAsync<RetryableFailureException>(() => sink.WriteAsync([Event.Parse("""{"message":"m"}""")], [], Ct).AsTask());

        Assert.Equal(TimeSpan.FromSeconds(7), failure.RetryAfter);
        Assert.Contains($"{code} (collector busy)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grpc_status_the_specification_calls_permanent_dead_letters_with_the_receivers_message()
    {
        _receiver.Script(new FakeOtlpReceiver.Answer(GrpcStatus: StatusCode.InvalidArgument, Message: "log record too large"));
        await using var sink = Sink("grpc");

        var failure = await Assert.ThrowsAsync<PermanentFailureException>(() => sink.WriteAsync([Event.Parse("""{"message":"m"}""")], [], Ct).AsTask());

        Assert.Contains("InvalidArgument (log record too large)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_503_with_retry_after_is_retried_after_it_and_400_is_permanent_with_the_status_message_of_the_body()
    {
        _receiver.Script(
            new FakeOtlpReceiver.Answer(HttpStatus: 503, Message: "overloaded", RetryAfterSeconds: 3),
            new FakeOtlpReceiver.Answer(HttpStatus: 400, Message: "bad record"));
        await using var sink = Sink("http/protobuf");
        Event[] batch = [Event.Parse("""{"message":"m"}""")];

        var retryable = await Assert.ThrowsAsync<RetryableFailureException>(() => sink.WriteAsync(batch, [], Ct).AsTask());
        var permanent = await Assert.ThrowsAsync<PermanentFailureException>(() => sink.WriteAsync(batch, [], Ct).AsTask());

        Assert.Equal(TimeSpan.FromSeconds(3), retryable.RetryAfter);
        Assert.Contains("answered 400 Bad Request: bad record", permanent.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task A_receiver_that_is_not_listening_is_an_outage_the_runtime_retries(string protocol)
    {
        // A port that was free a moment ago: nothing listens on it.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var factory = new OtlpSinkConfig { Protocol = protocol, Endpoint = $"http://127.0.0.1:{port}" }
            .Build(new ComponentContext("out", "test", Path.GetTempPath()) { Environment = _ => null });
        await using var sink = (ITracePropagatingSink)factory.CreateForIsolate(0);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => sink.WriteAsync([Event.Parse("""{"message":"m"}""")], [], Ct).AsTask());

        Assert.True(Pipeline.Isolates.FailurePolicy.IsRetryable(failure), $"not retried: {failure}");
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task A_partial_success_is_counted_and_logged_but_neither_retried_nor_dead_lettered(string protocol)
    {
        _receiver.Script(new FakeOtlpReceiver.Answer(Rejected: 2, Message: "2 records over the attribute limit"));
        var metrics = PipelineMetrics.CreateIsolated().ForComponent("pipeline", "out", "sink");
        var log = new CapturedLog();
        var factory = Factory(protocol);
        ((ISharedStageState)factory).Start(new StageRuntime(new Serilog.LoggerConfiguration().WriteTo.Sink(log).CreateLogger(), metrics));
        await using var sink = factory.CreateForIsolate(0);

        await ((ITracePropagatingSink)sink).WriteAsync([Event.Parse("""{"message":"a"}"""), Event.Parse("""{"message":"b"}"""), Event.Parse("""{"message":"c"}""")], [], Ct);

        Assert.Equal(2, metrics.CreateOtlpSinkInstruments().RejectedLogRecords.Value);
        Assert.Contains(log.Events, e => e.RenderMessage().Contains("rejected 2 of the 3 log records", StringComparison.Ordinal)
            && e.RenderMessage().Contains("2 records over the attribute limit", StringComparison.Ordinal));
        await ((IAsyncDisposable)factory).DisposeAsync();
    }

    private ITracePropagatingSink Sink(string protocol, Action<OtlpSinkConfig>? configure = null)
        => (ITracePropagatingSink)Factory(protocol, configure).CreateForIsolate(0);

    private ISinkFactory Factory(string protocol, Action<OtlpSinkConfig>? configure = null)
    {
        var config = new OtlpSinkConfig
        {
            Protocol = protocol,
            Endpoint = (protocol == "grpc" ? _receiver.GrpcEndpoint : _receiver.HttpEndpoint).ToString(),
        };
        configure?.Invoke(config);
        return config.Build(new ComponentContext("out", "test", Path.GetTempPath()) { Environment = _ => null });
    }
}
