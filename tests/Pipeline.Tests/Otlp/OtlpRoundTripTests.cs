using System.Net;
using Google.Protobuf;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using Pipeline.Components;
using Pipeline.Sinks.Otlp;
using Pipeline.Sources.Otlp;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Otlp;

/// <summary>otlp source -> otlp sink hands a log record on as it came: the event shape the two agree on loses nothing.</summary>
public sealed class OtlpRoundTripTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_record_received_by_the_otlp_source_leaves_the_otlp_sink_as_it_came()
    {
        await using var receiver = await FakeOtlpReceiver.StartAsync();
        var source = new OtlpSource(new IPEndPoint(IPAddress.Loopback, 0), null, new OtlpSourceConfig { Grpc = new() });
        var sink = new OtlpSinkConfig { Protocol = "grpc", Endpoint = receiver.GrpcEndpoint.ToString() }
            .Build(new ComponentContext("out", "test", Path.GetTempPath()) { Environment = _ => null });
        await using var pipeline = new TestPipeline()
            .Source("in", new SourceFactory(() => source) { ReceivesRequests = true }, acknowledgements: true)
            .Sink("out", sink, ["in"], TestPipeline.Settings(batchSize: 1));
        await pipeline.StartAsync();
        var address = Assert.Single(await source.GrpcListening.Guarded());
        var sent = new LogRecord
        {
            TimeUnixNano = 1_700_000_000_123_456_789UL,
            ObservedTimeUnixNano = 1_700_000_000_200_000_001UL,
            SeverityNumber = SeverityNumber.Warn2,
            SeverityText = "WARN2",
            Body = new AnyValue { StringValue = "Order 42 failed" },
            TraceId = ByteString.CopyFrom(Convert.FromHexString("5b8efff798038103d269b633813fc60c")),
            SpanId = ByteString.CopyFrom(Convert.FromHexString("eee19b7ec3c1b174")),
            Flags = 1,
            DroppedAttributesCount = 3,
        };
        sent.Attributes.Add(new KeyValue { Key = "OrderId", Value = new AnyValue { IntValue = 42 } });
        sent.Attributes.Add(new KeyValue { Key = "ratio", Value = new AnyValue { DoubleValue = 0.25 } });
        sent.Attributes.Add(new KeyValue { Key = "retried", Value = new AnyValue { BoolValue = true } });
        var tags = new ArrayValue();
        tags.Values.Add(new AnyValue { StringValue = "api" });
        sent.Attributes.Add(new KeyValue { Key = "tags", Value = new AnyValue { ArrayValue = tags } });
        var resource = new Resource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "checkout" } });
        resource.Attributes.Add(new KeyValue { Key = "k8s.pod.name", Value = new AnyValue { StringValue = "checkout-7d9f" } });
        var scopeLogs = new ScopeLogs { Scope = new InstrumentationScope { Name = "Shop.Checkout", Version = "1.4.2" } };
        scopeLogs.LogRecords.Add(sent);
        var resourceLogs = new ResourceLogs { Resource = resource };
        resourceLogs.ScopeLogs.Add(scopeLogs);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(resourceLogs);

        using (var channel = GrpcChannel.ForAddress(address))
        {
            // With acknowledgements the answer comes once the sink has delivered.
            await new LogsService.LogsServiceClient(channel).ExportAsync(request, cancellationToken: Ct);
        }

        var arrived = Assert.Single(receiver.Requests).Request.ResourceLogs.Single();
        Assert.Equal(resource.Attributes, arrived.Resource.Attributes);
        var scope = arrived.ScopeLogs.Single();
        Assert.Equal(("Shop.Checkout", "1.4.2"), (scope.Scope.Name, scope.Scope.Version));
        var record = scope.LogRecords.Single();
        Assert.Equal(sent.Body, record.Body);
        Assert.Equal((sent.SeverityNumber, sent.SeverityText), (record.SeverityNumber, record.SeverityText));
        Assert.Equal((sent.TimeUnixNano, sent.ObservedTimeUnixNano), (record.TimeUnixNano, record.ObservedTimeUnixNano));
        Assert.Equal(sent.Attributes, record.Attributes);
        Assert.Equal(sent.DroppedAttributesCount, record.DroppedAttributesCount);
        Assert.Equal(sent.TraceId, record.TraceId);
    }
}
