using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Security;

namespace Pipeline.Sinks.Elasticsearch;

[Component("elasticsearch", "Writes events to Elasticsearch with the _bulk API, into a data stream (default) or an index, as they are or in ECS; a document Elasticsearch refuses (a mapping error) is dead-lettered alone with its error, one it cannot take now (429, 5xx) retried alone, an outage retried as a whole. docs/elasticsearch.md.")]
public sealed class ElasticsearchSinkConfig : ISinkConfig
{
    public enum WriteMode
    {
        DataStream,
        Bulk,
    }

    public enum BodyCompression
    {
        None,
        Gzip,
    }

    [Option("The cluster's nodes, absolute http:// or https:// URIs; a request that finds one down is tried on the next (failover), and a node that failed is skipped for a while.",
        Required = true, Example = "[https://es-0.es:9200, https://es-1.es:9200]")]
    public List<string> Endpoints { get; set; } = [];

    [Option("data_stream: create operations into the data stream <type>-<dataset>-<namespace> (see data_stream). bulk: index or create operations into the index of bulk.index.", Example = "bulk")]
    public WriteMode Mode { get; set; } = WriteMode.DataStream;

    [Option("For mode data_stream: type (default logs), dataset (default generic) and namespace (default default), each text or a {{ .field }} template.",
        Example = "{ dataset: \"{{ .service }}\", namespace: production }")]
    public ElasticsearchDataStreamSettings? DataStream { get; set; }

    [Option("For mode bulk: index (default pipeline-%Y.%m.%d; {{ .field }} placeholders and strftime codes of the event's timestamp) and action (index or create, default index).",
        Example = "{ index: \"app-%Y.%m.%d\", action: create }")]
    public ElasticsearchBulkSettings? Bulk { get; set; }

    [Option("event: the event as it is, with @timestamp copied from timestamp (or the time of sending) when it has none. ecs: Elastic Common Schema names (@timestamp, message, log.level, trace.id, span.id, service.name, host.name, kubernetes.*); docs/elasticsearch.md has the mapping.",
        Example = "ecs")]
    public ElasticsearchDocumentEncoding Encoding { get; set; } = ElasticsearchDocumentEncoding.Event;

    [Option("A field whose value becomes the document _id (a string or a number), so a retried document is written once: with action create a 409 for it counts as delivered. Without it Elasticsearch makes the _id.",
        Example = ".event_id")]
    public string? IdField { get; set; }

    [Option("Request body compression; gzip also asks for gzip answers.", Example = "gzip")]
    public BodyCompression Compression { get; set; } = BodyCompression.None;

    [Option("Credentials: strategy basic (user with password_env or password_file), api_key (api_key_env or api_key_file) or bearer (token_env or token_file). The secret is read at start, never written in the topology.",
        Example = "{ strategy: api_key, api_key_file: /etc/pipeline/es/api-key }")]
    public ClientAuthSettings? Auth { get; set; }

    [Option("TLS for https:// endpoints: ca_file, cert_file and key_file (mutual TLS), verify_hostname, verify_certificate. The files are re-read when they change. docs/security.md.",
        Example = "{ ca_file: /etc/pipeline/es-ca/ca.crt }")]
    public ClientTlsSettings? Tls { get; set; }

    [Option("Limits of one bulk request: timeout (default 60s, Vector's).", Example = "{ timeout: 30s }")]
    public ElasticsearchRequestSettings? Request { get; set; }

    public ISinkFactory Build(ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        List<Uri> endpoints = [];
        ElasticsearchIndexTemplate index = null!;
        FieldPath? idField = null;
        (string Scheme, string Parameter)? authorization = null;
        var request = Request ?? new ElasticsearchRequestSettings();
        ComponentBuildException.ThrowIfAnyFails(
            () => endpoints = ParseEndpoints(),
            () => index = ParseIndex(),
            () => idField = ParseIdField(),
            () => authorization = Auth?.ReadAuthorization("auth", context.Environment),
            () => Tls?.Validate("tls"),
            () =>
            {
                if (request.Timeout <= TimeSpan.Zero)
                {
                    throw new ComponentBuildException("request.timeout", $"expected a duration above 0, found {request.Timeout}");
                }
            },
            () =>
            {
                if (Tls is not null && endpoints.Count > 0 && endpoints.TrueForAll(e => e.Scheme != Uri.UriSchemeHttps))
                {
                    throw new ComponentBuildException("tls", "a tls block takes effect only for https:// endpoints, found none");
                }
            },
            () =>
            {
                if (Mode == WriteMode.DataStream && Bulk is not null)
                {
                    throw new ComponentBuildException("bulk", "bulk applies to mode: bulk, found it with mode: data_stream; set mode: bulk, or move the target to data_stream");
                }
                if (Mode == WriteMode.Bulk && DataStream is not null)
                {
                    throw new ComponentBuildException("data_stream", "data_stream applies to mode: data_stream, found it with mode: bulk; remove it, or set mode: data_stream");
                }
            });
        var creates = Mode == WriteMode.DataStream || (Bulk?.Action ?? ElasticsearchBulkSettings.BulkAction.Index) == ElasticsearchBulkSettings.BulkAction.Create;
        var gzip = Compression == BodyCompression.Gzip;
        var auth = authorization is { } header ? new ElasticsearchAuthorization(header.Scheme, header.Parameter) : null;
        var encoding = Encoding;
        var text = index.Text;
        var allowDates = Mode == WriteMode.Bulk;
        // A template per isolate: it keeps its own buffers and dated names, unsynchronised.
        return new ElasticsearchSinkFactory(endpoints, auth, Tls, gzip, request.Timeout, context.ComponentId, () => new ElasticsearchBulkBody(
            ElasticsearchIndexTemplate.Parse(allowDates ? "index" : "data stream", text, allowDates), creates, idField, new ElasticsearchDocumentWriter(encoding, TimeProvider.System)));
    }

    private List<Uri> ParseEndpoints()
    {
        if (Endpoints.Count == 0)
        {
            throw new ComponentBuildException("endpoints", "expected at least one URI of the cluster, such as http://localhost:9200, found none");
        }
        List<Uri> parsed = [];
        foreach (var text in Endpoints)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new ComponentBuildException("endpoints", $"expected an absolute http:// or https:// URI, found '{text}'");
            }
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new ComponentBuildException("endpoints", $"expected a URI without credentials (they belong in auth, from a file or the environment), found them in '{uri.GetLeftPart(UriPartial.Scheme)}…@{uri.Authority}'");
            }
            parsed.Add(uri);
        }
        return parsed;
    }

    private ElasticsearchIndexTemplate ParseIndex()
    {
        if (Mode == WriteMode.Bulk)
        {
            var bulk = Bulk ?? new ElasticsearchBulkSettings();
            return Parse("bulk.index", "index", bulk.Index, allowDates: true);
        }
        var stream = DataStream ?? new ElasticsearchDataStreamSettings();
        foreach (var (option, part) in new[] { ("data_stream.type", stream.Type), ("data_stream.dataset", stream.Dataset), ("data_stream.namespace", stream.Namespace) })
        {
            if (string.IsNullOrWhiteSpace(part))
            {
                throw new ComponentBuildException(option, "expected a name or a {{ .field }} template, found none");
            }
            _ = Parse(option, "data stream part", part, allowDates: false);
        }
        if (stream.Namespace.Replace("{{", "", StringComparison.Ordinal).Contains('-', StringComparison.Ordinal) && !stream.Namespace.Contains("{{", StringComparison.Ordinal))
        {
            throw new ComponentBuildException("data_stream.namespace", $"expected a namespace without '-' (it separates the parts of <type>-<dataset>-<namespace>), found '{stream.Namespace}'");
        }
        return Parse("data_stream", "data stream", $"{stream.Type}-{stream.Dataset}-{stream.Namespace}", allowDates: false);
    }

    private static ElasticsearchIndexTemplate Parse(string option, string what, string text, bool allowDates)
    {
        try
        {
            return ElasticsearchIndexTemplate.Parse(what, text, allowDates);
        }
        catch (FormatException e)
        {
            throw new ComponentBuildException(option, e.Message, e);
        }
    }

    private FieldPath? ParseIdField()
    {
        if (IdField is null)
        {
            return null;
        }
        if (!IdField.StartsWith('.'))
        {
            var hint = FieldPath.TryParse(IdField, out _, out _) ? $" (did you mean '.{IdField}'?)" : "";
            throw new ComponentBuildException("id_field", $"expected a field path with a leading dot such as .event_id, found '{IdField}'{hint}");
        }
        return FieldPath.TryParse(IdField, out var path, out var error)
            ? path
            : throw new ComponentBuildException("id_field", $"expected a field path, found '{IdField}': {error}");
    }
}
