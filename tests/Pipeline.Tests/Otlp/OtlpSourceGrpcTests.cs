using System.Text;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using Pipeline.Tests.Io;

namespace Pipeline.Tests.Otlp;

/// <summary>OTLP/gRPC by hand: the answers a client's retry logic reads.</summary>
public sealed class OtlpSourceGrpcTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_export_is_answered_ok_and_each_record_is_an_event()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var channel = GrpcChannel.ForAddress(source.Grpc);

        var answer = await new LogsService.LogsServiceClient(channel).ExportAsync(OtlpSourceHttpTests.Request("one", "two"), cancellationToken: Ct);

        Assert.Null(answer.PartialSuccess);
        Assert.Equal(["""{"message":"one"}""", """{"message":"two"}"""], context.Sent.Select(s => s.Event.ToString()));
    }

    [Fact]
    public async Task A_request_that_does_not_decode_is_answered_invalid_argument_and_dead_lettered()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var channel = GrpcChannel.ForAddress(source.Grpc);
        var raw = new Method<byte[], byte[]>(MethodType.Unary, LogsService.Descriptor.FullName, "Export",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        byte[] truncated = [0x0A, 0x05, 0x01];

        var error = await Assert.ThrowsAsync<RpcException>(
            () => channel.CreateCallInvoker().AsyncUnaryCall(raw, null, new CallOptions(cancellationToken: Ct), truncated).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("not a valid ExportLogsServiceRequest", error.Status.Detail, StringComparison.Ordinal);
        var invalid = Assert.Single(context.Invalid);
        Assert.Equal(truncated, Convert.FromBase64String(Encoding.UTF8.GetString(invalid.Raw)));
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task A_full_pipeline_is_answered_resource_exhausted_with_retry_info_and_nothing_is_accepted()
    {
        var context = new FakeSourceContext { WithinResult = Pipeline.Components.SendResult.Backpressure };
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var channel = GrpcChannel.ForAddress(source.Grpc);

        var error = await Assert.ThrowsAsync<RpcException>(
            () => new LogsService.LogsServiceClient(channel).ExportAsync(OtlpSourceHttpTests.Request("a"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var retry = Assert.Single(error.GetRpcStatus()!.Details).Unpack<RetryInfo>();
        Assert.Equal(TimeSpan.FromSeconds(1), retry.RetryDelay.ToTimeSpan());
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task A_stopping_pipeline_is_answered_unavailable_so_the_client_retries()
    {
        var context = new FakeSourceContext { WithinResult = Pipeline.Components.SendResult.ShuttingDown };
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var channel = GrpcChannel.ForAddress(source.Grpc);

        var error = await Assert.ThrowsAsync<RpcException>(
            () => new LogsService.LogsServiceClient(channel).ExportAsync(OtlpSourceHttpTests.Request("a"), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }
}
