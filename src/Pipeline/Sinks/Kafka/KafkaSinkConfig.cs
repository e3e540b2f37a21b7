using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Kafka;
using Pipeline.Processors;
using Pipeline.Security;

namespace Pipeline.Sinks.Kafka;

[Component("kafka", "Produces each event as a JSON record to a Kafka topic, its trace context in the traceparent header; a record Kafka refuses (too large, not authorized) is dead-lettered alone with Kafka's reason, a timed-out one retried. docs/kafka.md.")]
public sealed class KafkaSinkConfig : ISinkConfig
{
    public enum RecordCompression
    {
        None,
        Gzip,
        Snappy,
        Lz4,
        Zstd,
    }

    public enum Acknowledgement
    {
        All,
        Leader,
        None,
    }

    public const string TraceIdKey = "trace_id";
    public const string NoKey = "none";

    [Option("The brokers to start from, host:port[,host:port…].", Required = true, Example = "kafka-0.kafka:9092,kafka-1.kafka:9092")]
    public string BootstrapServers { get; set; } = "";

    [Option("The topic of each record: text with {{ .field }} placeholders, rendered per event. An event without a placeholder's field is dead-lettered with the reason.",
        Required = true, Example = "logs-{{ .service }}")]
    public string Topic { get; set; } = "";

    // Not "key": that name is every component's key_affinity routing field.
    [Option("The record key, which picks the partition: trace_id (the event's trace id, so one trace's events stay in order on one partition), a field path with its leading dot such as .user_id (Vector's key_field), or none (records spread over the partitions).",
        Example = ".user_id")]
    public string KeyField { get; set; } = TraceIdKey;

    [Option("Record batch compression. none by default, as Vector and librdkafka: compressing JSON costs the agent CPU on every event; lz4 (cheap) or zstd (smallest) pay off when the network or the brokers' disks are the limit.",
        Example = "zstd")]
    public RecordCompression Compression { get; set; } = RecordCompression.None;

    [Option("Which brokers must have written a record before it counts as delivered: all in-sync replicas, the leader alone, or none (no answer awaited, so no failure is ever seen).",
        Example = "all")]
    public Acknowledgement Acks { get; set; } = Acknowledgement.All;

    [Option("Kafka's idempotent producer: a record retried by the client is written once and partition order is kept. Needs acks: all.", Example = "false")]
    public bool Idempotence { get; set; } = true;

    [Option("How long a record may wait for its delivery, retries by the client included, before it fails and the pipeline retries it (librdkafka's message.timeout.ms).",
        Example = "30s")]
    public TimeSpan MessageTimeout { get; set; } = TimeSpan.FromMinutes(5);

    [Option("TLS to the brokers: ca_file, cert_file and key_file (mutual TLS), verify_hostname, verify_certificate. docs/security.md.",
        Example = "{ ca_file: /etc/pipeline/kafka-ca/ca.crt }")]
    public ClientTlsSettings? Tls { get; set; }

    [Option("SASL authentication: mechanism, username, and password_env or password_file.",
        Example = "{ mechanism: SCRAM-SHA-512, username: agent, password_file: /etc/pipeline/kafka/password }")]
    public KafkaSaslSettings? Sasl { get; set; }

    [Option("librdkafka producer settings by their own names (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md); they win over the options above. Connection settings belong to bootstrap_servers, tls and sasl.",
        Example = "{ linger.ms: \"10\", message.max.bytes: \"2000000\" }")]
    public Dictionary<string, string> LibrdkafkaOptions { get; set; } = [];

    public ISinkFactory Build(ComponentContext context)
    {
        FieldTemplate topic;
        try
        {
            topic = FieldTemplate.Parse(Topic);
        }
        catch (FormatException e)
        {
            throw new ComponentBuildException("topic", e.Message, e);
        }
        if (string.IsNullOrWhiteSpace(Topic))
        {
            throw new ComponentBuildException("topic", "expected a topic name or a template such as logs-{{ .service }}, found none");
        }
        if (topic.Fields.Count == 0 && !KafkaTopicTemplate.IsValidName(Topic))
        {
            throw new ComponentBuildException("topic", $"expected a Kafka topic name (up to 249 of a-z A-Z 0-9 . _ -), found '{Topic}'");
        }
        var key = ParseKey();
        if (MessageTimeout <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("message_timeout", $"expected a duration above 0, found {MessageTimeout}");
        }
        if (Idempotence && Acks != Acknowledgement.All)
        {
            throw new ComponentBuildException("idempotence",
                $"the idempotent producer needs acks: all (only then does the broker confirm every in-sync replica, which it needs to write a retried record once), found acks: {Acks.ToString().ToLowerInvariant()}; set acks: all, or idempotence: false");
        }
        var config = ProducerSettings(context.Environment);
        KafkaConnection.CheckOffline(config, settings => new ProducerBuilder<byte[], byte[]>(new ProducerConfig(settings.ToDictionary())).SetLogHandler((_, _) => { }).Build(), "producer");
        var producer = new SharedKafkaProducer(config, context.ComponentId);
        return new SinkFactory(_ => new KafkaSink(producer, topic, key)) { DeliversOverNetwork = true };
    }

    private KafkaRecordKey ParseKey()
    {
        if (KeyField == TraceIdKey)
        {
            return KafkaRecordKey.TraceId;
        }
        if (KeyField == NoKey)
        {
            return KafkaRecordKey.None;
        }
        if (KeyField.StartsWith('.'))
        {
            return FieldPath.TryParse(KeyField, out var path, out var error)
                ? KafkaRecordKey.Field(path)
                : throw new ComponentBuildException("key_field", $"expected a field path, found '{KeyField}': {error}");
        }
        var hint = FieldPath.TryParse(KeyField, out _, out _) ? $" (did you mean '.{KeyField}'?)" : "";
        throw new ComponentBuildException("key_field", $"expected {TraceIdKey}, {NoKey} or a field path with a leading dot such as .user_id, found '{KeyField}'{hint}");
    }

    private ProducerConfig ProducerSettings(Func<string, string?> environment)
    {
        var config = new ProducerConfig
        {
            Acks = Acks switch
            {
                Acknowledgement.All => Confluent.Kafka.Acks.All,
                Acknowledgement.Leader => Confluent.Kafka.Acks.Leader,
                _ => Confluent.Kafka.Acks.None,
            },
            EnableIdempotence = Idempotence,
            CompressionType = Compression switch
            {
                RecordCompression.Gzip => CompressionType.Gzip,
                RecordCompression.Snappy => CompressionType.Snappy,
                RecordCompression.Lz4 => CompressionType.Lz4,
                RecordCompression.Zstd => CompressionType.Zstd,
                _ => CompressionType.None,
            },
            MessageTimeoutMs = (int)Math.Min(int.MaxValue, Math.Ceiling(MessageTimeout.TotalMilliseconds)),
            // A batch reaches librdkafka all at once and waits for its reports, so lingering (librdkafka's default 5 ms)
            // only delays every batch: measured with http -> kafka on the mock cluster, batch_size 64, one isolate,
            // 11,000 events/s at 5 ms, 37,500 at 1 ms, 50,000 at 0 ms; 0 sends a batch's first records alone and cost
            // a fifth more CPU per event (bench: throughput --only kafka-sink). librdkafka_options may set it.
            LingerMs = 1,
            // The sink never reads a report's key, value or headers back: without them Confluent keeps no reference
            // to the record's arrays until its delivery.
            DeliveryReportFields = "status",
        };
        KafkaConnection.Apply(config, BootstrapServers, Tls, Sasl, LibrdkafkaOptions, environment);
        return config;
    }
}
