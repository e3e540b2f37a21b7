using System.Diagnostics;
using System.Net;
using Google.Protobuf;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using Pipeline.Components;
using Pipeline.Sources.Otlp;
using Pipeline.Telemetry;
using Pipeline.Tests.Observability;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Otlp;

/// <summary>An application's trace goes on through the pipeline: each record's ingest span is a child of the span that logged it.</summary>
public sealed class OtlpSpanTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_records_ingest_span_is_a_server_span_under_the_application_span_that_logged_it()
    {
        var config = new OtlpSourceConfig { Grpc = new() };
        var source = new OtlpSource(new IPEndPoint(IPAddress.Loopback, 0), null, config);
        await using var pipeline = new ObservedPipeline()
            .Source("in", new SourceFactory(() => source) { ReceivesRequests = true })
            .Sink("out", new RecordingSink(), ["in"], TestPipeline.Settings(batchSize: 1, maxAttempts: 1));
        await pipeline.StartAsync();
        var address = Assert.Single(await source.GrpcListening.WaitAsync(ObservedPipeline.HangGuard, Ct));
        var first = Traceparents.Remote(71, sampled: true);
        var second = Traceparents.Remote(72, sampled: true);
        var request = OtlpSourceHttpTests.Request("first", "second");
        var records = request.ResourceLogs[0].ScopeLogs[0].LogRecords;
        (records[0].TraceId, records[0].SpanId, records[0].Flags) = (Bytes(first.TraceId), Bytes(first.SpanId), 1);
        (records[1].TraceId, records[1].SpanId, records[1].Flags) = (Bytes(second.TraceId), Bytes(second.SpanId), 1);
        using (var channel = GrpcChannel.ForAddress(address))
        {
            await new LogsService.LogsServiceClient(channel).ExportAsync(request, cancellationToken: Ct);
        }

        var spans = await pipeline.StopAndCollectSpansAsync();

        foreach (var application in new[] { first, second })
        {
            var ingest = Assert.Single(spans, s => s.TraceId == application.TraceId && s.DisplayName == "receive in");
            Assert.Equal(application.SpanId, ingest.ParentSpanId);
            Assert.Equal(ActivityKind.Server, ingest.Kind);
            Assert.Equal("/opentelemetry.proto.collector.logs.v1.LogsService/Export", ingest.GetTagItem(TelemetryNames.UrlPathAttribute));
            Assert.Single(spans, s => s.TraceId == application.TraceId && s.DisplayName == "send out" && s.Kind == ActivityKind.Producer);
        }
    }

    private static ByteString Bytes(ActivityTraceId id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.CopyTo(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static ByteString Bytes(ActivitySpanId id)
    {
        Span<byte> bytes = stackalloc byte[8];
        id.CopyTo(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
