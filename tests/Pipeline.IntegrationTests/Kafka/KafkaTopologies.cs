namespace Pipeline.IntegrationTests.Kafka;

/// <summary>
/// The topologies the Kafka process tests run, in the option names docs/components.md lists for the kafka source and
/// sink. <c>{admin}</c> and <c>{data_dir}</c> are filled in by <see cref="Backends.PipelineProcess"/>.
/// </summary>
internal static class KafkaTopologies
{
    /// <summary>Where a consumer topology's file sink writes, under the run's data directory.</summary>
    public const string OutputFile = "out.ndjson";

    /// <summary>
    /// kafka → file: the aggregator's shape with a file as its backend. A short session timeout, so a killed member's
    /// partitions move on within seconds (the default is 45 s); frequent commits, so a kill lands with some records
    /// committed and some not.
    /// </summary>
    public static string Consumer(string name, string bootstrapServers, string groupId, string topic, string telemetry = "") => $$"""
        name: it-kafka-{{name}}
        data_dir: {data_dir}
        shutdown_timeout: 20s
        admin: { address: "{admin}" }
        {{telemetry}}
        sources:
          records:
            type: kafka
            bootstrap_servers: "{{bootstrapServers}}"
            group_id: {{groupId}}
            topics: [{{topic}}]
            auto_offset_reset: earliest
            commit_interval: 200ms
            session_timeout: 6s
            drain_timeout: 10s
        sinks:
          out: { type: file, inputs: [records], path: "{data_dir}/{{OutputFile}}" }
        """;

    /// <summary>http → kafka: the agent's shape. Records keyed by trace id (the default), so a trace stays on one partition.</summary>
    public static string Agent(string bootstrapServers, string topic, int ingestPort, string telemetry) => $$"""
        name: it-kafka-agent
        data_dir: {data_dir}
        shutdown_timeout: 20s
        admin: { address: "{admin}" }
        {{telemetry}}
        sources:
          ingest: { type: http, address: "127.0.0.1:{{ingestPort}}" }
        sinks:
          to_kafka:
            type: kafka
            inputs: [ingest]
            bootstrap_servers: "{{bootstrapServers}}"
            topic: {{topic}}
            message_timeout: 30s
        """;

    /// <summary>The telemetry block of a process that exports every span of a sampled trace (and no other) to <paramref name="otlpGrpc"/>.</summary>
    public static string SampledTraces(Uri otlpGrpc) => $$"""
        telemetry:
          traces: { exporter: otlp, endpoint: "{{otlpGrpc}}", protocol: grpc, ratio: 0, scheduled_delay: 200ms }
        """;
}
