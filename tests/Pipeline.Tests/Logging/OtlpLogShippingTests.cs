using System.Diagnostics;
using System.Text;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Prometheus;
using Serilog;
using Serilog.Sinks.OpenTelemetry;

namespace Pipeline.Tests.Logging;

public sealed class OtlpLogShippingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Log_written_outside_an_activity_is_exported_with_the_trace_ids_its_properties_carry()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        var logger = OtlpLogger(new OtlpLogOptions { Endpoint = collector.Uri.ToString(), Protocol = OtlpProtocol.HttpProtobuf, Environment = _ => null });

        logger.ForContext(TelemetryNames.TraceIdProperty, "0af7651916cd43dd8448eb211c80319c")
            .ForContext(TelemetryNames.SpanIdProperty, "b7ad6b7169203331")
            .Information("unsampled event dead-lettered");
        await logger.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var export = Assert.Single(collector.LogExports);
        // OTLP carries ids as raw bytes in the LogRecord's trace_id/span_id fields.
        Assert.True(Contains(export, Convert.FromHexString("0af7651916cd43dd8448eb211c80319c")), "the trace id bytes are in the export");
        Assert.True(Contains(export, Convert.FromHexString("b7ad6b7169203331")), "the span id bytes are in the export");
        Assert.True(Contains(export, "unsampled event dead-lettered"u8.ToArray()));
        Assert.True(Contains(export, Encoding.UTF8.GetBytes("host-a")), "resource attributes are in the export");
    }

    [Fact]
    public async Task An_unsampled_event_without_a_span_id_still_puts_its_trace_id_in_the_record_and_not_in_attributes()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        var logger = OtlpLogger(new OtlpLogOptions { Endpoint = collector.Uri.ToString(), Protocol = OtlpProtocol.HttpProtobuf, Environment = _ => null });

        // An event that arrived without a traceparent and was not sampled: a trace id of its own, no span.
        logger.ForContext(TelemetryNames.TraceIdProperty, "4bf92f3577b34da6a3ce929d0e0e4736")
            .Error("parse failed on an unsampled event; dead-lettering it");
        await logger.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var export = Assert.Single(collector.LogExports);
        Assert.True(Contains(export, Convert.FromHexString("4bf92f3577b34da6a3ce929d0e0e4736")), "the trace id bytes are in the record");
        Assert.False(Contains(export, "trace_id"u8.ToArray()), "trace_id is not repeated as an attribute");
        Assert.False(Contains(export, "4bf92f3577b34da6a3ce929d0e0e4736"u8.ToArray()), "the id is not repeated as text");
    }

    [Fact]
    public async Task Log_written_inside_an_activity_is_exported_with_that_activitys_ids()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        var logger = OtlpLogger(new OtlpLogOptions { Endpoint = collector.Uri.ToString(), Protocol = OtlpProtocol.HttpProtobuf, Environment = _ => null });
        byte[] traceId;

        using (var activity = new Activity("hop").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            traceId = Convert.FromHexString(activity.TraceId.ToHexString());
            logger.Information("inside a hop");
        }
        await logger.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.True(Contains(Assert.Single(collector.LogExports), traceId));
    }

    [Fact]
    public async Task Standard_OTEL_variables_apply_where_YAML_is_silent_and_YAML_wins_where_it_speaks()
    {
        await using var yamlCollector = await FakeOtlpCollector.StartAsync();
        await using var environmentCollector = await FakeOtlpCollector.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = environmentCollector.Uri.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };

        var fromEnvironment = OtlpLogger(new OtlpLogOptions { Environment = name => environment.GetValueOrDefault(name) });
        fromEnvironment.Information("routed by the environment");
        await fromEnvironment.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var fromYaml = OtlpLogger(new OtlpLogOptions { Endpoint = yamlCollector.Uri.ToString(), Environment = name => environment.GetValueOrDefault(name) });
        fromYaml.Information("routed by YAML");
        await fromYaml.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.True(Contains(Assert.Single(environmentCollector.LogExports), "routed by the environment"u8.ToArray()));
        Assert.True(Contains(Assert.Single(yamlCollector.LogExports), "routed by YAML"u8.ToArray()));
    }

    private static Serilog.Core.Logger OtlpLogger(OtlpLogOptions otlp)
    {
        var shipping = new LogShippingOptions
        {
            Otlp = otlp,
            Service = new LogServiceIdentity("pipeline", "1.2.3", "instance-1", "host-a"),
            BufferingTimeLimit = TimeSpan.FromMilliseconds(50),
        };
        return LogShippingSinks.AddTo(new LoggerConfiguration(), shipping, new LogExportCounters(Metrics.NewCustomRegistry())).CreateLogger();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
