namespace Pipeline.Telemetry;

/// <summary>
/// The OpenTelemetry exporter variables' rules (https://opentelemetry.io/docs/specs/otel/protocol/exporter/), shared
/// by the service's own spans (<see cref="TracingConfiguration"/>) and the otlp sink: a signal-specific variable
/// (<c>OTEL_EXPORTER_OTLP_LOGS_ENDPOINT</c>) wins over the general one, and is used as is, while the general endpoint
/// gets the signal's path (<c>/v1/logs</c>) appended for http/protobuf.
/// </summary>
public static class OtlpExporterEnvironment
{
    public const string ProtocolGrpc = "grpc";
    public const string ProtocolHttpProtobuf = "http/protobuf";

    /// <summary><c>OTEL_EXPORTER_OTLP_{SIGNAL}_{suffix}</c>, else <c>OTEL_EXPORTER_OTLP_{suffix}</c>: the value (trimmed) and the variable it came from; null when neither is set.</summary>
    /// <param name="signal">traces or logs.</param>
    /// <param name="suffix">ENDPOINT, PROTOCOL, HEADERS, TIMEOUT, COMPRESSION.</param>
    public static (string Value, string Variable)? Variable(Func<string, string?> environment, string signal, string suffix)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(signal);
        foreach (var name in new[] { $"OTEL_EXPORTER_OTLP_{signal.ToUpperInvariant()}_{suffix}", $"OTEL_EXPORTER_OTLP_{suffix}" })
        {
            if (environment(name) is { Length: > 0 } value && value.Trim() is { Length: > 0 } trimmed)
            {
                return (trimmed, name);
            }
        }
        return null;
    }

    /// <summary>
    /// Where a signal goes: the configured text (<paramref name="yaml"/> stands for the general endpoint), else the
    /// signal's variable as is, else the general variable, else the protocol's default on localhost.
    /// </summary>
    /// <param name="yamlSetting">How errors name the configured option.</param>
    /// <returns>The URL; <c>Configured</c> false when none was given; <c>Setting</c> the option or variable it came from; <c>Error</c> what is wrong with it, or null.</returns>
    public static (Uri Url, bool Configured, string Setting, string? Error) ResolveEndpoint(
        string? yaml, string yamlSetting, string signal, bool http, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Env(string name) => environment(name) is { Length: > 0 } value ? value.Trim() : null;
        var signalVariable = $"OTEL_EXPORTER_OTLP_{signal.ToUpperInvariant()}_ENDPOINT";
        var fallback = http ? "http://localhost:4318" : "http://localhost:4317";
        var (text, isBase, setting) = yaml is not null ? (yaml, true, yamlSetting)
            : Env(signalVariable) is { } signalValue ? (signalValue, false, signalVariable)
            : Env("OTEL_EXPORTER_OTLP_ENDPOINT") is { } baseValue ? (baseValue, true, "OTEL_EXPORTER_OTLP_ENDPOINT")
            : (fallback, true, "");
        string? error = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            error = $"expected an http:// or https:// URL, found '{text}'";
            url = new Uri(fallback);
        }
        var path = "/v1/" + signal;
        if (http && isBase && !url.AbsolutePath.EndsWith(path, StringComparison.Ordinal))
        {
            url = new Uri(url, url.AbsolutePath.TrimEnd('/') + path);
        }
        return (url, setting.Length > 0, setting, error);
    }

    /// <summary>
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c>' format: <c>key=value</c> pairs separated by commas, values percent-encoded.
    /// </summary>
    /// <returns>The headers, or null when a pair has no key; then <paramref name="error"/> says which.</returns>
    public static List<KeyValuePair<string, string>>? ParseHeaders(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = $"expected key=value pairs separated by commas, found '{pair}'";
                return null;
            }
            headers.Add(new(pair[..equals].Trim(), Uri.UnescapeDataString(pair[(equals + 1)..].Trim())));
        }
        error = null;
        return headers;
    }
}
