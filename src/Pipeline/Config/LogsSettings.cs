using System.Reflection;
using System.Runtime.CompilerServices;
using Pipeline.Components;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Serilog.Events;

namespace Pipeline.Config;

/// <summary>
/// <c>telemetry.logs</c> in YAML: the service's own log level and where its logs are shipped. Shipping is off unless
/// YAML or the environment turns it on. Where YAML is silent the environment applies: PIPELINE_LOG_LEVEL,
/// PIPELINE_LOG_OTLP (with the standard OTEL_EXPORTER_OTLP_* variables), PIPELINE_LOG_ELASTICSEARCH_URL.
/// </summary>
/// <remarks>Flat snake_case names (otlp_endpoint rather than otlp: { endpoint }) because settings bind like component options.</remarks>
public sealed class LogsSettings
{
    public const string LevelVariable = "PIPELINE_LOG_LEVEL";
    public const string OtlpVariable = "PIPELINE_LOG_OTLP";
    public const string ElasticsearchUrlVariable = "PIPELINE_LOG_ELASTICSEARCH_URL";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    [Option("The service's own log level: verbose, debug, information, warning, error or fatal. Else PIPELINE_LOG_LEVEL, else information. Changed at runtime by PUT /loglevel or SIGHUP.", Example = "debug")]
    public LogEventLevel? Level { get; set; }

    [Option("Ships the service's logs over OTLP, with their trace ids. Else PIPELINE_LOG_OTLP=true turns it on.", Example = "true")]
    public bool? OtlpEnabled { get; set; }

    [Option("The OTLP collector. Else OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4317.", Example = "http://otel-collector:4317")]
    public string? OtlpEndpoint { get; set; }

    [Option("grpc or http_protobuf. Else OTEL_EXPORTER_OTLP_PROTOCOL (grpc, http/protobuf), else grpc.", Example = "http_protobuf")]
    public LogOtlpProtocol? OtlpProtocol { get; set; }

    [Option("Headers on every OTLP export, such as an API key. Else OTEL_EXPORTER_OTLP_HEADERS.", Example = "{ x-api-key: \"${OTLP_KEY}\" }")]
    public Dictionary<string, string>? OtlpHeaders { get; set; }

    [Option("Elasticsearch nodes; giving any turns Elasticsearch shipping on. Else PIPELINE_LOG_ELASTICSEARCH_URL (comma-separated).", Example = "[\"https://es1:9200\", \"https://es2:9200\"]")]
    public List<string>? ElasticsearchUrls { get; set; }

    [Option("The data stream the logs go to (bulk create operations); logs-<dataset>-<namespace>.", Example = "logs-pipeline-prod")]
    public string ElasticsearchDataStream { get; set; } = ElasticsearchLogOptions.DefaultDataStream;

    [Option("Basic authentication user (with elasticsearch_password).", Example = "pipeline_writer")]
    public string? ElasticsearchUsername { get; set; }

    [Option("Basic authentication password.", Example = "${ES_PASSWORD}")]
    public string? ElasticsearchPassword { get; set; }

    [Option("An API key (the base64 'encoded' form); used instead of basic authentication when set.", Example = "${ES_API_KEY}")]
    public string? ElasticsearchApiKey { get; set; }

    [Option("Log events per OTLP export or Elasticsearch bulk request (1 to 100,000).", Example = "500")]
    public int BatchSize { get; set; } = 1000;

    [Option("The longest a log event waits for its batch to fill.", Example = "1s")]
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(2);

    [Option("Log events queued or in flight per shipper (1 to 1,000,000); beyond it new ones are dropped and counted (pipeline_telemetry_dropped_total{signal=\"logs\"}), so a slow backend never slows the pipeline.", Example = "50000")]
    public int QueueLimit { get; set; } = 10_000;

    [Option("How long a failing batch is retried, with growing backoff, before it is dropped and counted.", Example = "5m")]
    public TimeSpan RetryTimeLimit { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>YAML's level, else PIPELINE_LOG_LEVEL, else information.</summary>
    /// <param name="error">Set when PIPELINE_LOG_LEVEL holds something that is not a level.</param>
    public LogEventLevel ResolveLevel(Func<string, string?> environment, out SettingError? error)
    {
        ArgumentNullException.ThrowIfNull(environment);
        error = null;
        if (Level is { } level)
        {
            return level;
        }
        var text = environment(LevelVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return LogEventLevel.Information;
        }
        if (LogLevelNames.TryParse(text, out level))
        {
            return level;
        }
        error = new SettingError(LevelVariable, $"expected {LogLevelNames.Expected}, found '{text}'");
        return LogEventLevel.Information;
    }

    /// <summary>The shippers YAML and the environment turn on, or the errors that keep them from starting.</summary>
    public LogShippingOptions ResolveShipping(Func<string, string?> environment, List<SettingError> errors)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(errors);
        // The shipper's queue holds rendered log events; a million is hundreds of MiB, more than a log backend outage
        // is worth keeping. A batch is one request, and backends take a few thousand documents a request.
        WithinRange(BatchSize, "batch_size", 100_000, errors);
        WithinRange(QueueLimit, "queue_limit", 1_000_000, errors);
        if (BatchTimeout <= TimeSpan.Zero)
        {
            errors.Add(new SettingError(Yaml("batch_timeout"), $"expected a positive duration, found {BatchTimeout}"));
        }
        return new LogShippingOptions
        {
            Otlp = ResolveOtlp(environment, errors),
            Elasticsearch = ResolveElasticsearch(environment, errors),
            Service = new LogServiceIdentity(
                NonEmpty(environment(ServiceNameVariable)) ?? ServiceIdentity.DefaultName,
                ServiceIdentity.Version,
                ServiceIdentity.InstanceId,
                ServiceIdentity.HostName),
            BatchSizeLimit = Math.Max(1, BatchSize),
            BufferingTimeLimit = BatchTimeout > TimeSpan.Zero ? BatchTimeout : TimeSpan.FromSeconds(2),
            QueueLimit = Math.Max(1, QueueLimit),
            RetryTimeLimit = RetryTimeLimit,
        };
    }

    private OtlpLogOptions? ResolveOtlp(Func<string, string?> environment, List<SettingError> errors)
    {
        var enabled = OtlpEnabled;
        if (enabled is null && NonEmpty(environment(OtlpVariable)) is { } text)
        {
            if (bool.TryParse(text, out var parsed))
            {
                enabled = parsed;
            }
            else
            {
                errors.Add(new SettingError(OtlpVariable, $"expected true or false, found '{text}'"));
            }
        }
        if (enabled != true)
        {
            return null;
        }
        if (OtlpEndpoint is not null && !IsHttpUrl(OtlpEndpoint))
        {
            errors.Add(new SettingError(Yaml("otlp_endpoint"), $"expected an absolute http:// or https:// URL, found '{OtlpEndpoint}'"));
        }
        return ToOtlpLogOptions(environment);
    }

    // OtlpLogOptions carries the sink's own protocol enum: only a service that ships logs over OTLP builds one, and
    // loads Serilog.Sinks.OpenTelemetry with it. NoInlining keeps the type out of ResolveOtlp.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private OtlpLogOptions ToOtlpLogOptions(Func<string, string?> environment) => new()
    {
        Endpoint = OtlpEndpoint,
        Protocol = OtlpProtocol switch
        {
            null => null,
            LogOtlpProtocol.HttpProtobuf => Serilog.Sinks.OpenTelemetry.OtlpProtocol.HttpProtobuf,
            _ => Serilog.Sinks.OpenTelemetry.OtlpProtocol.Grpc,
        },
        Headers = OtlpHeaders,
        Environment = environment,
    };

    private ElasticsearchLogOptions? ResolveElasticsearch(Func<string, string?> environment, List<SettingError> errors)
    {
        var (subject, texts) = ElasticsearchUrls is { Count: > 0 }
            ? (Yaml("elasticsearch_urls"), ElasticsearchUrls)
            : (ElasticsearchUrlVariable, (NonEmpty(environment(ElasticsearchUrlVariable)) ?? "")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList());
        if (texts.Count == 0)
        {
            return null;
        }
        var urls = new List<Uri>(texts.Count);
        foreach (var text in texts)
        {
            if (IsHttpUrl(text))
            {
                urls.Add(new Uri(text));
            }
            else
            {
                errors.Add(new SettingError(subject, $"expected absolute http:// or https:// URLs, found '{text}'"));
            }
        }
        if (string.IsNullOrWhiteSpace(ElasticsearchDataStream))
        {
            errors.Add(new SettingError(Yaml("elasticsearch_data_stream"), "expected a data stream name such as logs-pipeline-default, found an empty string"));
        }
        return urls.Count == 0 ? null : new ElasticsearchLogOptions
        {
            Urls = urls,
            DataStream = ElasticsearchDataStream,
            Username = ElasticsearchUsername,
            Password = ElasticsearchPassword,
            ApiKey = ElasticsearchApiKey,
        };
    }

    private static void WithinRange(int value, string option, int maximum, List<SettingError> errors)
    {
        if (value < 1 || value > maximum)
        {
            errors.Add(new SettingError(Yaml(option), $"expected an integer between 1 and {maximum:N0}, found {value}"));
        }
    }

    /// <summary>The full name of a YAML option of this section, as errors name it.</summary>
    private static string Yaml(string option) => "telemetry.logs." + option;

    private static bool IsHttpUrl(string text)
        => Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
