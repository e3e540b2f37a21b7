using System.Text;
using Pipeline.Components;
using Pipeline.Processors;
using Pipeline.Security;

namespace Pipeline.Sinks.Loki;

[Component("loki", "Pushes events to Grafana Loki (POST /loki/api/v1/push, JSON): stream labels from templates with a bound on distinct values per label, the trace and span id as structured metadata for Grafana's logs-to-traces links. 429, 5xx and connection errors are retried; entries Loki refuses (too old, too far behind) are dead-lettered alone with Loki's reason. docs/loki.md.")]
public sealed class LokiSinkConfig : ISinkConfig
{
    public enum BodyCompression
    {
        None,
        Gzip,
    }

    /// <summary>Loki's push API, under the endpoint.</summary>
    public const string PushPath = "/loki/api/v1/push";

    [Option("Loki's base URL, http:// or https://; the sink POSTs to <endpoint>/loki/api/v1/push.", Required = true, Example = "http://loki:3100")]
    public string Endpoint { get; set; } = "";

    [Option("The stream labels: label name -> value, a static text or a {{ .field }} template rendered per event. Names follow Prometheus' syntax ([a-zA-Z_][a-zA-Z0-9_]*). A label whose template renders empty is left out. Keep them few and of bounded values (namespace, app, container): every distinct set is a Loki stream.",
        Required = true, Example = "{ app: \"{{ .kubernetes.pod_labels.app }}\", namespace: \"{{ .kubernetes.pod_namespace }}\", cluster: prod }")]
    public Dictionary<string, string> Labels { get; set; } = [];

    [Option("Distinct values one label may take in this process before a new value is kept out of the stream labels: the entry is then sent with that label set to __overflow__ and its real value in structured metadata (queryable with | label=\"value\"), and pipeline_loki_label_values_over_limit_total counts it. The event is never dropped.",
        Example = "5000")]
    public int MaxLabelValues { get; set; } = 1000;

    [Option("The tenant, sent as X-Scope-OrgID (Loki with auth_enabled). A fixed value: one request carries one tenant; route to one sink per tenant.",
        Example = "team-a")]
    public string? TenantId { get; set; }

    [Option("What each entry's line is: { codec: json } (the event, the default) or { codec: text } (its message field).", Example = "{ codec: text }")]
    public LokiEncodingSettings? Encoding { get; set; }

    [Option("Leave the fields the labels are rendered from out of the line (they are in the labels already). Costs a copy of each event.", Example = "true")]
    public bool RemoveLabelFields { get; set; }

    [Option("Extra request headers, such as authorization. Content-Type, Content-Encoding and X-Scope-OrgID are set by the sink.",
        Example = "{ Authorization: \"Basic ${LOKI_BASIC_AUTH}\" }")]
    public Dictionary<string, string> Headers { get; set; } = [];

    [Option("Body compression; gzip (the default: log lines shrink several times) also sends Content-Encoding: gzip.", Example = "none")]
    public BodyCompression Compression { get; set; } = BodyCompression.Gzip;

    [Option("How long one push may take, from sending to the response headers, before it fails and is retried.", Example = "30s")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    [Option("TLS for an https:// endpoint: ca_file, cert_file and key_file (mutual TLS), verify_hostname, verify_certificate. docs/security.md.",
        Example = "{ ca_file: /etc/pipeline/loki-ca/ca.crt }")]
    public ClientTlsSettings? Tls { get; set; }

    public ISinkFactory Build(ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Uri? push = null;
        List<LokiLabel> labels = [];
        ComponentBuildException.ThrowIfAnyFails(
            () => push = ParseEndpoint(),
            () => labels = ParseLabels(),
            CheckLimits,
            CheckHeaders,
            () => Tls?.Validate("tls"));
        if (Tls is not null && push!.Scheme != Uri.UriSchemeHttps)
        {
            throw new ComponentBuildException("tls", $"a tls block takes effect only for an https:// endpoint, found '{Endpoint}'");
        }
        // With tls, a handler of this sink's own, made on first use: validate builds the sink too, and must not start
        // polling its files.
        var client = new Lazy<HttpClient>(() => new HttpClient(Tls is null ? HttpSinkConfig.SharedHandler : HttpSinkConfig.HandlerWithTls(Tls, context.ComponentId), disposeHandler: false) { Timeout = Timeout });
        return new LokiSinkFactory(client, push!, this, labels, context.ComponentId);
    }

    private Uri ParseEndpoint()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ComponentBuildException("endpoint", $"expected an absolute http:// or https:// URL such as http://loki:3100, found '{Endpoint}'");
        }
        if (uri.AbsolutePath.EndsWith(PushPath, StringComparison.Ordinal))
        {
            throw new ComponentBuildException("endpoint", $"expected Loki's base URL (the sink adds {PushPath}), found '{Endpoint}' (did you mean '{Endpoint[..^PushPath.Length]}'?)");
        }
        return new Uri(uri.AbsoluteUri.TrimEnd('/') + PushPath);
    }

    private List<LokiLabel> ParseLabels()
    {
        if (Labels.Count == 0)
        {
            throw new ComponentBuildException("labels", "expected at least one stream label, such as { app: \"{{ .service }}\" }, found none (Loki refuses an entry without labels)");
        }
        var parsed = new List<LokiLabel>(Labels.Count);
        foreach (var (name, text) in Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (!IsLabelName(name))
            {
                var suggestion = Sanitised(name) is { } fixedName && fixedName != name ? $" (did you mean '{fixedName}'?)" : "";
                throw new ComponentBuildException("labels", $"expected a label name of [a-zA-Z_][a-zA-Z0-9_]* not starting with __ (Prometheus' label syntax, which Loki uses), found '{name}'{suggestion}");
            }
            try
            {
                parsed.Add(new LokiLabel(name, FieldTemplate.Parse(text)));
            }
            catch (FormatException e)
            {
                throw new ComponentBuildException("labels", $"label '{name}': {e.Message}", e);
            }
        }
        return parsed;
    }

    private void CheckLimits()
    {
        if (MaxLabelValues < 1)
        {
            throw new ComponentBuildException("max_label_values", $"expected a count of at least 1, found {MaxLabelValues}");
        }
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("timeout", $"expected a duration above 0, found {Timeout}");
        }
        if (TenantId is { } tenant && (tenant.Length == 0 || tenant.Contains("{{", StringComparison.Ordinal) || tenant.Contains('|', StringComparison.Ordinal)))
        {
            throw new ComponentBuildException("tenant_id", $"expected a fixed tenant id (one request carries one tenant, so no {{{{ template }}}}; not empty, no '|'), found '{tenant}'");
        }
    }

    private void CheckHeaders()
    {
        using var probe = new HttpRequestMessage();
        foreach (var (name, value) in Headers)
        {
            // TryAddWithoutValidation refuses malformed names and content headers, which belong to the body the sink builds.
            if (!probe.Headers.TryAddWithoutValidation(name, value) || name.Equals(LokiSink.TenantHeader, StringComparison.OrdinalIgnoreCase))
            {
                throw new ComponentBuildException("headers", $"expected a request header name, found '{name}' (not a valid name, or one the sink sets itself: Content-Type, Content-Encoding, {LokiSink.TenantHeader} is tenant_id)");
            }
        }
    }

    internal static bool IsLabelName(ReadOnlySpan<char> name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]) || name.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The name with what Prometheus refuses replaced by '_' (k8s.namespace -> k8s_namespace), or null when that is no name either.</summary>
    private static string? Sanitised(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }
        var candidate = builder.ToString().TrimStart('_');
        return IsLabelName(candidate) ? candidate : null;
    }
}
