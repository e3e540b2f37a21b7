using Pipeline.Components;
using Pipeline.Processors;
using Pipeline.Processors.Kubernetes;
using Pipeline.Processors.LogToMetric;
using Pipeline.Processors.Script;
using Pipeline.Sinks;
using Pipeline.Sinks.Elasticsearch;
using Pipeline.Sinks.Kafka;
using Pipeline.Sinks.Otlp;
using Pipeline.Sinks.Loki;
using Pipeline.Sources.Kafka;
using Pipeline.Sources;
using Pipeline.Sources.File;
using Pipeline.Sources.Generator;
using Pipeline.Sources.Http;
using Pipeline.Sources.Otlp;

namespace Pipeline;

/// <summary>Every built-in component: one registration line each. The name, description and options are the config class's own.</summary>
public static class BuiltInComponents
{
    public static ComponentCatalog Create() => new ComponentCatalog()
        // Sources
        .Add<HttpSourceConfig>()
        .Add<StdinSourceConfig>()
        .Add<GeneratorSourceConfig>()
        .Add<FileSourceConfig>()
        .Add<OtlpSourceConfig>()
        // Processors
        .Add<ParseJsonConfig>()
        .Add<ParseCriConfig>()
        .Add<ParseDockerJsonConfig>()
        .Add<FilterConfig>()
        .Add<RemapConfig>()
        .Add<RedactConfig>()
        .Add<HashConfig>()
        .Add<SampleConfig>()
        .Add<RouteConfig>()
        .Add<DelayConfig>()
        .Add<FaultConfig>()
        .Add<KubernetesConfig>()
        .Add<LogToMetricConfig>()
        .Add<ScriptConfig>()
        // Sinks
        .Add<StdoutSinkConfig>()
        .Add<FileSinkConfig>()
        .Add<BlackholeSinkConfig>()
        .Add<HttpSinkConfig>()
        .Add<KafkaSinkConfig>()
        .Add<OtlpSinkConfig>()
        .Add<ElasticsearchSinkConfig>()
        .Add<LokiSinkConfig>()
        .Add<KafkaSourceConfig>()
        ;
}
