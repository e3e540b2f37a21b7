using System.Runtime.CompilerServices;
using Serilog;
using Serilog.Configuration;
using Serilog.Sinks.OpenTelemetry;

namespace Pipeline.Telemetry.Logging;

/// <summary>Adds the configured log shippers (OTLP, Elasticsearch) to a logger configuration; none by default.</summary>
public static class LogShippingSinks
{
    private const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    private const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";
    private const string HeadersVariable = "OTEL_EXPORTER_OTLP_HEADERS";

    public static LoggerConfiguration AddTo(LoggerConfiguration configuration, LogShippingOptions shipping, LogExportCounters counters)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(shipping);
        if (shipping.Otlp is not null)
        {
            AddOtlp(configuration, shipping);
        }
        if (shipping.Elasticsearch is { } elasticsearch)
        {
            var gate = new ShippingQueueGate(shipping.QueueLimit, counters);
            var sink = new ElasticsearchLogSink(elasticsearch, shipping.Service, counters, gate.Completed);
            gate.Attach(LoggerSinkConfiguration.CreateSink(writeTo => writeTo.Sink(sink, shipping.ToBatchingOptions())));
            configuration.WriteTo.Sink(gate);
        }
        return configuration;
    }

    // Serilog.Sinks.OpenTelemetry loads only when this runs: NoInlining keeps its types out of AddTo, which every
    // service calls.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddOtlp(LoggerConfiguration configuration, LogShippingOptions shipping)
    {
        var otlp = shipping.Otlp!;
        configuration.WriteTo.Sink(LoggerSinkConfiguration.Wrap(
            inner => new TraceContextFromProperties(inner),
            writeTo => writeTo.OpenTelemetry(options => ConfigureOtlp(options, otlp, shipping), name => VariableWhereYamlIsSilent(name, otlp))));
    }

    private static void ConfigureOtlp(BatchedOpenTelemetrySinkOptions options, OtlpLogOptions otlp, LogShippingOptions shipping)
    {
        if (otlp.Endpoint is not null)
        {
            options.Endpoint = otlp.Endpoint;
        }
        if (otlp.Protocol is { } protocol)
        {
            options.Protocol = protocol;
        }
        if (otlp.Headers is not null)
        {
            foreach (var (name, value) in otlp.Headers)
            {
                options.Headers[name] = value;
            }
        }
        var service = shipping.Service;
        options.ResourceAttributes["service.name"] = service.Name;
        if (service.Version is not null)
        {
            options.ResourceAttributes["service.version"] = service.Version;
        }
        options.ResourceAttributes["service.instance.id"] = service.InstanceId;
        options.ResourceAttributes["host.name"] = service.HostName;
        shipping.ApplyTo(options.BatchingOptions);
    }

    /// <summary>The sink lets these variables override its options; YAML must win where it says something.</summary>
    private static string? VariableWhereYamlIsSilent(string name, OtlpLogOptions otlp) => name switch
    {
        EndpointVariable when otlp.Endpoint is not null => null,
        ProtocolVariable when otlp.Protocol is not null => null,
        HeadersVariable when otlp.Headers is not null => null,
        _ => otlp.Environment(name),
    };
}
