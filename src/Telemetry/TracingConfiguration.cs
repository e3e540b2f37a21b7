using System.Globalization;
using System.Reflection;
using OpenTelemetry.Exporter;

namespace Pipeline.Telemetry;

/// <summary>
/// The effective trace settings: YAML where it says something, else the standard OpenTelemetry environment
/// variables, else the defaults. docs/observability.md has the table.
/// </summary>
/// <remarks>
/// The exporter defaults to <c>none</c> unless an OTLP endpoint is configured (YAML <c>endpoint</c>,
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) or <c>exporter: otlp</c> /
/// <c>OTEL_TRACES_EXPORTER=otlp</c> asks for one: a sampled span with nowhere to go is pure cost. Without an
/// exporter no event is sampled, but every event still carries a trace id for its logs and dead-letter record.
/// </remarks>
public sealed record TracingConfiguration
{
    public const string ExporterNone = "none";
    public const string ExporterOtlp = "otlp";
    public const string ProtocolGrpc = OtlpExporterEnvironment.ProtocolGrpc;
    public const string ProtocolHttpProtobuf = OtlpExporterEnvironment.ProtocolHttpProtobuf;

    public required string Exporter { get; init; }

    /// <summary>The full URL spans are sent to (for HTTP, with <c>/v1/traces</c>).</summary>
    public required Uri Endpoint { get; init; }

    public required string Protocol { get; init; }

    /// <summary><c>key=value,key2=value2</c>, as <c>OTEL_EXPORTER_OTLP_HEADERS</c>.</summary>
    public string? Headers { get; init; }

    public required TraceSampler Sampler { get; init; }

    public required IReadOnlyDictionary<string, object> Resource { get; init; }

    public int MaxQueueSize { get; init; } = 2048;

    public int MaxExportBatchSize { get; init; } = 512;

    public TimeSpan ScheduledDelay { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ExportTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool Exports => Exporter != ExporterNone;

    public string ServiceName => (string)Resource["service.name"];

    /// <summary>Resolves YAML over the environment over the defaults.</summary>
    /// <returns>The configuration, or null when a value is wrong; then <paramref name="errors"/> says which, each once.</returns>
    public static TracingConfiguration? Resolve(TracingOptions yaml, Func<string, string?> environment, List<SettingError> errors)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        string? Env(string name) => environment(name) is { Length: > 0 } value ? value.Trim() : null;

        var (protocolText, protocolSetting) = Choose(yaml.Protocol, "protocol", Env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
        var protocol = (protocolText ?? ProtocolGrpc).ToLowerInvariant();
        if (protocol is not (ProtocolGrpc or ProtocolHttpProtobuf))
        {
            errors.Add(new SettingError(protocolSetting, $"expected {ProtocolGrpc} or {ProtocolHttpProtobuf}, found '{protocolText}'"));
            protocol = ProtocolGrpc;
        }
        var endpoint = ResolveEndpoint(yaml.Endpoint, protocol, environment, errors);

        var (exporterText, exporterSetting) = Choose(yaml.Exporter, "exporter", Env, "OTEL_TRACES_EXPORTER");
        var exporter = (exporterText ?? (endpoint.Configured ? ExporterOtlp : ExporterNone)).ToLowerInvariant();
        if (exporter is not (ExporterNone or ExporterOtlp))
        {
            errors.Add(new SettingError(exporterSetting, $"expected {ExporterNone} or {ExporterOtlp}, found '{exporterText}'"));
        }
        if (yaml.Exporter is null && string.Equals(Env("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase))
        {
            exporter = ExporterNone;
        }

        var ratioText = Env("OTEL_TRACES_SAMPLER_ARG");
        double? ratio = yaml.Ratio;
        var ratioSetting = Yaml("ratio");
        if (ratio is null && ratioText is not null)
        {
            ratioSetting = "OTEL_TRACES_SAMPLER_ARG";
            if (double.TryParse(ratioText, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            {
                ratio = parsed;
            }
            else
            {
                errors.Add(new SettingError(ratioSetting, $"expected a number from 0 to 1, found '{ratioText}'"));
            }
        }
        if (ratio is { } r && (double.IsNaN(r) || r < 0 || r > 1))
        {
            errors.Add(new SettingError(ratioSetting, $"expected a number from 0 to 1, found {r.ToString(CultureInfo.InvariantCulture)}"));
            ratio = null;
        }
        var (samplerText, samplerSetting) = Choose(yaml.Sampler, "sampler", Env, "OTEL_TRACES_SAMPLER");
        var sampler = TraceSampler.Default;
        if (!TraceSampler.TryCreate(samplerText ?? TraceSampler.Default.Name, ratio, out var chosen))
        {
            errors.Add(new SettingError(samplerSetting, $"expected one of {string.Join(", ", TraceSampler.Names)}, found '{samplerText}'"));
        }
        else
        {
            sampler = chosen;
        }

        var headers = yaml.Headers is { Count: > 0 }
            ? string.Join(",", yaml.Headers.Select(h => $"{h.Key}={h.Value}"))
            : Env("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? Env("OTEL_EXPORTER_OTLP_HEADERS");

        var configuration = new TracingConfiguration
        {
            Exporter = exporter,
            Endpoint = endpoint.Url,
            Protocol = protocol,
            Headers = headers,
            Sampler = sampler,
            Resource = ResolveResource(yaml, Env, errors),
            // The batch processor allocates its queue up front: a million spans is its array of 8 MB and spans of
            // hundreds of MB. A batch is one export request; collectors take a few thousand spans a request.
            MaxQueueSize = Positive(yaml.MaxQueueSize, Env("OTEL_BSP_MAX_QUEUE_SIZE"), "max_queue_size", 2048, 1_000_000, errors),
            MaxExportBatchSize = Positive(yaml.MaxExportBatchSize, Env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), "max_export_batch_size", 512, 100_000, errors),
            ScheduledDelay = yaml.ScheduledDelay ?? TimeSpan.FromMilliseconds(Positive(null, Env("OTEL_BSP_SCHEDULE_DELAY"), "scheduled_delay", 5000, int.MaxValue, errors)),
            ExportTimeout = yaml.ExportTimeout ?? TimeSpan.FromMilliseconds(Positive(null, Env("OTEL_BSP_EXPORT_TIMEOUT"), "export_timeout", 10000, int.MaxValue, errors)),
        };
        return errors.Count == before ? configuration : null;
    }

    /// <summary>The YAML value if given, else the first environment variable set; and the name of the one that was used.</summary>
    private static (string? Text, string Setting) Choose(string? yaml, string option, Func<string, string?> env, params string[] variables)
    {
        if (yaml is not null)
        {
            return (yaml, Yaml(option));
        }
        foreach (var variable in variables)
        {
            if (env(variable) is { } value)
            {
                return (value, variable);
            }
        }
        return (null, Yaml(option));
    }

    /// <summary>The full name of a YAML option of this section, as errors name it.</summary>
    private static string Yaml(string option) => "telemetry.traces." + option;

    /// <summary>The OTLP exporter's options: everything set explicitly, so what was resolved here is what is used.</summary>
    public OtlpExporterOptions ToOtlpExporterOptions() => new()
    {
        Endpoint = Endpoint,
        Protocol = Protocol == ProtocolHttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc,
        Headers = Headers,
        TimeoutMilliseconds = (int)Math.Min(int.MaxValue, ExportTimeout.TotalMilliseconds),
    };

    /// <summary>
    /// Resource attributes, later sources winning: defaults (service.name "pipeline", service.version,
    /// service.instance.id, host.name), then the Kubernetes Downward API variables K8S_NODE_NAME, K8S_POD_NAME and
    /// K8S_NAMESPACE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME, then YAML.
    /// </summary>
    internal static Dictionary<string, object> ResolveResource(TracingOptions yaml, Func<string, string?> env, List<SettingError> errors)
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["service.name"] = ServiceIdentity.DefaultName,
            ["service.version"] = ServiceIdentity.Version,
            ["service.instance.id"] = ServiceIdentity.InstanceId,
            ["host.name"] = ServiceIdentity.HostName,
        };
        foreach (var (variable, attribute) in new[] { ("K8S_NODE_NAME", "k8s.node.name"), ("K8S_POD_NAME", "k8s.pod.name"), ("K8S_NAMESPACE_NAME", "k8s.namespace.name") })
        {
            if (env(variable) is { } value)
            {
                attributes[attribute] = value;
            }
        }
        if (env("OTEL_RESOURCE_ATTRIBUTES") is { } list)
        {
            // W3C Baggage-like: key=value pairs separated by commas, values percent-encoded.
            foreach (var pair in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    errors.Add(new SettingError("OTEL_RESOURCE_ATTRIBUTES", $"expected key=value pairs separated by commas, found '{pair}'"));
                    continue;
                }
                attributes[pair[..equals].Trim()] = Uri.UnescapeDataString(pair[(equals + 1)..].Trim());
            }
        }
        if (env("OTEL_SERVICE_NAME") is { } serviceName)
        {
            attributes["service.name"] = serviceName;
        }
        foreach (var (key, value) in yaml.ResourceAttributes ?? new Dictionary<string, string>())
        {
            attributes[key] = value;
        }
        if (yaml.ServiceName is { Length: > 0 } yamlServiceName)
        {
            attributes["service.name"] = yamlServiceName;
        }
        return attributes;
    }

    private static (Uri Url, bool Configured) ResolveEndpoint(string? yaml, string protocol, Func<string, string?> environment, List<SettingError> errors)
    {
        var (url, configured, setting, error) = OtlpExporterEnvironment.ResolveEndpoint(yaml, "telemetry.traces.endpoint", "traces", protocol == ProtocolHttpProtobuf, environment);
        if (error is not null)
        {
            errors.Add(new SettingError(setting, error));
        }
        return (url, configured);
    }

    private static int Positive(int? yaml, string? env, string option, int fallback, int maximum, List<SettingError> errors)
    {
        var expected = maximum == int.MaxValue ? "a number above 0" : $"a number between 1 and {maximum.ToString("N0", CultureInfo.InvariantCulture)}";
        if (yaml is { } value)
        {
            if (value > 0 && value <= maximum)
            {
                return value;
            }
            errors.Add(new SettingError(Yaml(option), $"expected {expected}, found {value}"));
            return fallback;
        }
        if (env is null)
        {
            return fallback;
        }
        if (int.TryParse(env, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 && parsed <= maximum)
        {
            return parsed;
        }
        errors.Add(new SettingError($"OTEL_BSP_{option.ToUpperInvariant()}", $"expected {expected}, found '{env}'"));
        return fallback;
    }
}
