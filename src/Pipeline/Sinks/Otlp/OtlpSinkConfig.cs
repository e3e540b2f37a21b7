using System.Globalization;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Security;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Otlp;

[Component("otlp", "Sends events as OpenTelemetry log records (OTLP over gRPC or HTTP/protobuf), each with its trace context, grouped by resource; the OTLP specification's retryable answers are retried as an outage, other failures dead-letter with the receiver's status. docs/otlp.md.")]
public sealed class OtlpSinkConfig : ISinkConfig
{
    public enum RequestCompression
    {
        None,
        Gzip,
    }

    private const string Signal = "logs";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    [Option("The receiver. gRPC: its address (http://collector:4317); http/protobuf: its base URL, /v1/logs is added unless the path already ends so. Default: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (used as is), else OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4317 (grpc) or http://localhost:4318/v1/logs (http/protobuf).",
        Example = "http://otel-collector:4317")]
    public string? Endpoint { get; set; }

    [Option("grpc or http/protobuf. Default: OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else grpc (what the OpenTelemetry Collector's otlp exporter speaks).",
        Example = "http/protobuf")]
    public string? Protocol { get; set; }

    [Option("Sent with every export (gRPC metadata or HTTP headers), such as an API key. Default: OTEL_EXPORTER_OTLP_LOGS_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS (key=value,key2=value2).",
        Example = "{ authorization: \"Bearer ${OTLP_TOKEN}\" }")]
    public Dictionary<string, string>? Headers { get; set; }

    [Option("gzip or none. Default: OTEL_EXPORTER_OTLP_LOGS_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION, else none (the specification's default; gzip costs the agent CPU on every event and pays off over a slow or metered link).",
        Example = "gzip")]
    public RequestCompression? Compression { get; set; }

    [Option("How long one export may take before it fails and is retried. Default: OTEL_EXPORTER_OTLP_LOGS_TIMEOUT, else OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds), else 10s.",
        Example = "30s")]
    public TimeSpan? Timeout { get; set; }

    [Option("TLS for an https:// endpoint: ca_file (trust a private CA), cert_file and key_file (mutual TLS), verify_hostname, verify_certificate. The files are re-read when they change. docs/security.md.",
        Example = "{ ca_file: /etc/pipeline/collector-ca/ca.crt }")]
    public ClientTlsSettings? Tls { get; set; }

    [Option("The field whose text is the record's severity_text and, mapped, its severity_number (trace, debug, info, warn, error, fatal and their kin). Default: .severity_text, else .level.",
        Example = ".log.level")]
    public FieldPath? SeverityField { get; set; }

    public ISinkFactory Build(ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var environment = context.Environment;
        var settings = Resolve(environment);
        if (Tls is not null)
        {
            if (settings.Endpoint.Scheme != Uri.UriSchemeHttps)
            {
                throw new ComponentBuildException("tls", $"a tls block takes effect only for an https:// endpoint, found '{settings.Endpoint}'");
            }
            Tls.Validate("tls");
        }
        return new OtlpSinkFactory(settings, SeverityField, Tls, context.ComponentId);
    }

    private OtlpExportSettings Resolve(Func<string, string?> environment)
    {
        var protocolSetting = OtlpExporterEnvironment.Variable(environment, Signal, "PROTOCOL");
        var (protocolText, protocolName) = Protocol is not null ? (Protocol, "protocol") : protocolSetting ?? (OtlpExporterEnvironment.ProtocolGrpc, "protocol");
        var http = protocolText.ToLowerInvariant() switch
        {
            OtlpExporterEnvironment.ProtocolGrpc => false,
            OtlpExporterEnvironment.ProtocolHttpProtobuf => true,
            _ => throw Refused("protocol", protocolName, $"expected {OtlpExporterEnvironment.ProtocolGrpc} or {OtlpExporterEnvironment.ProtocolHttpProtobuf}, found '{protocolText}'"
                + (SpellingSuggestion.Closest(protocolText, [OtlpExporterEnvironment.ProtocolGrpc, OtlpExporterEnvironment.ProtocolHttpProtobuf, "http_protobuf"]) is { } close
                    ? $" (did you mean '{(close == "http_protobuf" ? OtlpExporterEnvironment.ProtocolHttpProtobuf : close)}'?)" : "")),
        };

        var (endpoint, _, endpointName, endpointError) = OtlpExporterEnvironment.ResolveEndpoint(Endpoint, "endpoint", Signal, http, environment);
        if (endpointError is not null)
        {
            throw Refused("endpoint", endpointName, endpointError);
        }

        List<KeyValuePair<string, string>> headers;
        if (Headers is { Count: > 0 })
        {
            headers = [.. Headers];
        }
        else if (OtlpExporterEnvironment.Variable(environment, Signal, "HEADERS") is var (headerText, headerVariable))
        {
            headers = OtlpExporterEnvironment.ParseHeaders(headerText, out var headerError) ?? throw Refused("headers", headerVariable, headerError!);
        }
        else
        {
            headers = [];
        }
        CheckHeaders(headers, http);

        var gzip = Compression switch
        {
            RequestCompression.Gzip => true,
            RequestCompression.None => false,
            _ => OtlpExporterEnvironment.Variable(environment, Signal, "COMPRESSION") switch
            {
                null => false,
                var (text, variable) => text.ToLowerInvariant() switch
                {
                    "gzip" => true,
                    "none" => false,
                    _ => throw Refused("compression", variable, $"expected gzip or none, found '{text}'"),
                },
            },
        };

        var timeout = Timeout ?? (OtlpExporterEnvironment.Variable(environment, Signal, "TIMEOUT") switch
        {
            null => DefaultTimeout,
            var (text, variable) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds > 0
                ? TimeSpan.FromMilliseconds(milliseconds)
                : throw Refused("timeout", variable, $"expected a number of milliseconds above 0, found '{text}'"),
        });
        if (timeout <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("timeout", $"expected a duration above 0, found {timeout}");
        }
        return new OtlpExportSettings(endpoint, http, headers, gzip, timeout);
    }

    /// <summary>Names in gRPC metadata are lowercase ASCII; both protocols refuse what HTTP would (and the headers the sink sets itself).</summary>
    private static void CheckHeaders(List<KeyValuePair<string, string>> headers, bool http)
    {
        using var probe = new HttpRequestMessage();
        for (var i = 0; i < headers.Count; i++)
        {
            var (name, value) = headers[i];
            if (!probe.Headers.TryAddWithoutValidation(name, value) || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) || name.EndsWith("-bin", StringComparison.OrdinalIgnoreCase))
            {
                throw new ComponentBuildException("headers", $"expected a request header name, found '{name}' (not a valid name, a content header such as Content-Type that the sink sets itself, or a gRPC-reserved name)");
            }
            if (!http)
            {
                headers[i] = new(name.ToLowerInvariant(), value);
            }
        }
    }

    /// <summary>An error in an option, or in the variable that stood in for it (then the message names the variable).</summary>
    private static ComponentBuildException Refused(string option, string setting, string problem)
        => new(option, setting == option ? problem : $"{setting} (which stands in for {option}): {problem}");
}
