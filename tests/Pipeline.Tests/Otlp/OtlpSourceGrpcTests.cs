using System.Text;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
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

    [Theory]
    [InlineData(40, StatusCode.OK)]
    [InlineData(60, StatusCode.InvalidArgument)]
    public async Task Nested_values_are_kept_up_to_protobufs_nesting_limit_and_a_request_beyond_it_is_invalid(int arrays, StatusCode expected)
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var channel = GrpcChannel.ForAddress(source.Grpc);
        var request = OtlpSourceHttpTests.Request("nested");
        var deep = new AnyValue { StringValue = "bottom" };
        for (var i = 0; i < arrays; i++)
        {
            var array = new ArrayValue();
            array.Values.Add(deep);
            deep = new AnyValue { ArrayValue = array };
        }
        request.ResourceLogs[0].ScopeLogs[0].LogRecords[0].Attributes.Add(new KeyValue { Key = "deep", Value = deep });

        var status = StatusCode.OK;
        try
        {
            await new LogsService.LogsServiceClient(channel).ExportAsync(request, cancellationToken: Ct);
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
        }

        // Each array level is two protobuf messages (AnyValue, ArrayValue): protobuf's limit of 100 is reached before
        // the 64 levels an event holds, so a record never fails on its own for its depth.
        Assert.Equal(expected, status);
        Assert.Equal(expected == StatusCode.OK ? 1 : 0, context.Sent.Count);
        Assert.Equal(expected == StatusCode.OK ? 0 : 1, context.Invalid.Count);
        if (expected == StatusCode.OK)
        {
            Assert.Contains("\"bottom\"", context.Sent[0].Event.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Traces_are_not_received_and_answered_unimplemented()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var channel = GrpcChannel.ForAddress(source.Grpc);
        var traces = new Method<byte[], byte[]>(MethodType.Unary, "opentelemetry.proto.collector.trace.v1.TraceService", "Export",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

        var error = await Assert.ThrowsAsync<RpcException>(
            () => channel.CreateCallInvoker().AsyncUnaryCall(traces, null, new CallOptions(cancellationToken: Ct), []).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Without_the_token_auth_asks_for_a_call_is_unauthenticated_and_with_it_accepted()
    {
        const string Token = "a-token-of-at-least-thirty-two-characters";
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context,
            c => c.Grpc!.Auth = new Pipeline.Security.AuthSettings { TokensEnv = ["OTLP_TOKENS"] },
            name => name == "OTLP_TOKENS" ? Token : null);
        using var channel = GrpcChannel.ForAddress(source.Grpc);
        var client = new LogsService.LogsServiceClient(channel);

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.ExportAsync(OtlpSourceHttpTests.Request("anonymous"), cancellationToken: Ct).ResponseAsync);
        await client.ExportAsync(OtlpSourceHttpTests.Request("signed"), new Metadata { { "authorization", "Bearer " + Token } }, cancellationToken: Ct);

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal("""{"message":"signed"}""", Assert.Single(context.Sent).Event.ToString());
    }
}
