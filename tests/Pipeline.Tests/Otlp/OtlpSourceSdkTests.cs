using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using Pipeline.Tests.Io;

namespace Pipeline.Tests.Otlp;

/// <summary>
/// The OpenTelemetry .NET SDK's own OTLP log exporter, pointed at the otlp source, over gRPC and over HTTP/protobuf:
/// what an application's logs look like once they are events.
/// </summary>
public sealed class OtlpSourceSdkTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task An_application_log_arrives_with_body_severity_attributes_resource_scope_and_its_trace_context(OtlpExportProtocol protocol)
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var loggers = LoggerFactoryExportingTo(protocol == OtlpExportProtocol.Grpc ? source.Grpc : source.Logs, protocol);
        var logger = loggers.CreateLogger("Shop.Checkout");

        using var activity = new Activity("checkout").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
#pragma warning disable CA1848, CA2254 // The test logs as an application would, one message.
        logger.LogWarning("Order {OrderId} failed after {Attempts} attempts", 42, 3);
#pragma warning restore CA1848, CA2254
        activity.Stop();

        var sent = await SingleSentAsync(context);
        var evt = JsonDocument.Parse(sent.Event.ToString()).RootElement;
        Assert.Equal("Order 42 failed after 3 attempts", evt.GetProperty("message").GetString());
        Assert.Equal(13, evt.GetProperty("severity_number").GetInt32()); // WARN
        Assert.False(string.IsNullOrEmpty(evt.GetProperty("severity_text").GetString()));
        Assert.Equal(42, evt.GetProperty("attributes").GetProperty("OrderId").GetInt64());
        Assert.Equal(3, evt.GetProperty("attributes").GetProperty("Attempts").GetInt64());
        Assert.Equal("checkout", evt.GetProperty("resources").GetProperty("service.name").GetString());
        Assert.Equal("Shop.Checkout", evt.GetProperty("scope").GetProperty("name").GetString());
        var timestamp = evt.GetProperty("timestamp").GetString()!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", timestamp);
        Assert.InRange(DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.False(evt.TryGetProperty("trace_id", out _), "the trace id travels as the event's trace context, not as a field");
        Assert.Equal(activity.TraceId, sent.TraceContext.TraceId);
        Assert.Equal(activity.SpanId, sent.TraceContext.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, sent.TraceContext.TraceFlags);
        Assert.True(sent.TraceContext.IsRemote);
    }

    [Fact]
    public async Task A_log_written_outside_any_trace_arrives_without_a_trace_context_so_the_pipeline_samples_it_as_new()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var loggers = LoggerFactoryExportingTo(source.Grpc, OtlpExportProtocol.Grpc);
        Assert.Null(Activity.Current);

#pragma warning disable CA1848 // The test logs as an application would, one message.
        loggers.CreateLogger("Shop").LogInformation("started");
#pragma warning restore CA1848

        var sent = await SingleSentAsync(context);
        Assert.Equal(default, sent.TraceContext);
        Assert.Equal("started", JsonDocument.Parse(sent.Event.ToString()).RootElement.GetProperty("message").GetString());
    }

    private static ILoggerFactory LoggerFactoryExportingTo(Uri endpoint, OtlpExportProtocol protocol)
        => LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.IncludeFormattedMessage = true;
            otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("checkout"));
            otel.AddOtlpExporter((exporter, processor) =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = protocol;
                // Exported as each record is written, so the test waits for the record, not for a batch timer.
                processor.ExportProcessorType = ExportProcessorType.Simple;
            });
        }));

    private static async Task<SentEvent> SingleSentAsync(FakeSourceContext context)
    {
        var deadline = Stopwatch.StartNew();
        while (context.Sent.Count == 0)
        {
            Assert.True(deadline.Elapsed < HangGuard, "no event arrived");
            await Task.Delay(10, Ct);
        }
        return Assert.Single(context.Sent);
    }
}
