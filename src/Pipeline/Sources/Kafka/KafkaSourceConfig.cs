using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Events;
using Pipeline.Kafka;
using Pipeline.Security;

namespace Pipeline.Sources.Kafka;

[Component("kafka", "Consumes topics as a member of a consumer group; each partition's records in order (the next stage routes by partition), offsets committed once their events are delivered or dead-lettered (at-least-once), the traceparent header continuing the producer's trace. docs/kafka.md.")]
public sealed class KafkaSourceConfig : ISourceConfig, IDecodingSourceConfig
{
    public enum OffsetReset
    {
        Earliest,
        Latest,
    }

    [Option("The brokers to start from, host:port[,host:port…].", Required = true, Example = "kafka-0.kafka:9092,kafka-1.kafka:9092")]
    public string BootstrapServers { get; set; } = "";

    [Option("The consumer group: the members of a group share the topics' partitions, and the group's committed offsets are where a restart resumes.",
        Required = true, Example = "pipeline-aggregator")]
    public string GroupId { get; set; } = "";

    [Option("The topics to consume.", Required = true, Example = "[logs]")]
    public List<string> Topics { get; set; } = [];

    [Option("Where a partition without a committed offset starts: earliest (its oldest record, so a new group loses nothing; Vector's default is latest) or latest (only records produced from now on).",
        Example = "latest")]
    public OffsetReset AutoOffsetReset { get; set; } = OffsetReset.Earliest;

    [Option("How a record's value becomes an event: json (the default), text (.message), logfmt or syslog. A value that does not decode is dead-lettered with the reason and its offset.",
        Example = "{ codec: text }")]
    public DecodingSettings? Decoding { get; set; }

    [Option("How often the offsets of acknowledged records are committed (Vector's commit_interval_ms). Also committed when a partition is revoked and on shutdown.", Example = "1s")]
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(5);

    [Option("How long a revoked partition's records still in the pipeline are waited for before it is let go (Vector's drain_timeout_ms); what is not done by then is redelivered to the partition's next owner.",
        Example = "10s")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    [Option("How long the group waits for this consumer's heartbeat before it gives its partitions to another member (session.timeout.ms).", Example = "30s")]
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(45);

    [Option("The field of each event that holds the record's topic; empty for none.", Example = "kafka_topic")]
    public string TopicKey { get; set; } = "topic";

    [Option("The field that holds the record's partition; empty for none. Also the field the next stage routes by, so each partition stays in order.", Example = "kafka_partition")]
    public string PartitionKey { get; set; } = "partition";

    [Option("The field that holds the record's offset; empty for none.", Example = "kafka_offset")]
    public string OffsetKey { get; set; } = "offset";

    [Option("The field that holds the record's key (as text); empty for none.", Example = "kafka_key")]
    public string KeyField { get; set; } = "message_key";

    [Option("The field that holds the record's headers as an object of strings (traceparent and tracestate excepted: they become the event's trace context); empty for none.",
        Example = "kafka_headers")]
    public string HeadersKey { get; set; } = "headers";

    [Option("TLS to the brokers: ca_file, cert_file and key_file (mutual TLS), verify_hostname, verify_certificate. docs/security.md.",
        Example = "{ ca_file: /etc/pipeline/kafka-ca/ca.crt }")]
    public ClientTlsSettings? Tls { get; set; }

    [Option("SASL authentication: mechanism, username, and password_env or password_file.",
        Example = "{ mechanism: SCRAM-SHA-512, username: aggregator, password_file: /etc/pipeline/kafka/password }")]
    public KafkaSaslSettings? Sasl { get; set; }

    [Option("librdkafka consumer settings by their own names (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md); they win over the options above. Offsets are committed by the source: enable.auto.commit cannot be set.",
        Example = "{ fetch.max.bytes: \"10485760\" }")]
    public Dictionary<string, string> LibrdkafkaOptions { get; set; } = [];

    public DecodingCodec Codec => Decoding?.Codec ?? DecodingCodec.Json;

    public ISourceFactory Build(ComponentContext context)
    {
        if (string.IsNullOrWhiteSpace(GroupId))
        {
            throw new ComponentBuildException("group_id", "expected a consumer group id, found none");
        }
        if (Topics.Count == 0 || Topics.Any(string.IsNullOrWhiteSpace))
        {
            throw new ComponentBuildException("topics", "expected one or more topic names, found " + (Topics.Count == 0 ? "none" : "an empty one"));
        }
        foreach (var (option, value) in new[] { ("commit_interval", CommitInterval), ("drain_timeout", DrainTimeout), ("session_timeout", SessionTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ComponentBuildException(option, $"expected a duration above 0, found {value}");
            }
        }
        foreach (var owned in new[] { "enable.auto.commit", "enable.auto.offset.store", "group.id" })
        {
            if (LibrdkafkaOptions.ContainsKey(owned))
            {
                throw new ComponentBuildException("librdkafka_options", $"'{owned}' is set by the source (group_id; offsets are committed once acknowledged), found it in librdkafka_options");
            }
        }
        var fields = new KafkaRecordFields(Field("topic_key", TopicKey), Field("partition_key", PartitionKey), Field("offset_key", OffsetKey),
            Field("key_field", KeyField), Field("headers_key", HeadersKey));
        var config = new ConsumerConfig
        {
            GroupId = GroupId,
            AutoOffsetReset = AutoOffsetReset == OffsetReset.Earliest ? Confluent.Kafka.AutoOffsetReset.Earliest : Confluent.Kafka.AutoOffsetReset.Latest,
            SessionTimeoutMs = (int)Math.Min(int.MaxValue, SessionTimeout.TotalMilliseconds),
            // Offsets are committed by the source once their events are terminal, never by the client on a timer.
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
        };
        KafkaConnection.Apply(config, BootstrapServers, Tls, Sasl, LibrdkafkaOptions, context.Environment);
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        KafkaConnection.CheckOffline(config, settings => new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig(settings.ToDictionary())).SetLogHandler((_, _) => { }).Build(), "consumer");
        var settings = new KafkaSourceSettings(config, [.. Topics], Codec, fields, CommitInterval, DrainTimeout);
        return new KafkaSourceFactory(settings);
    }

    private static FieldPath? Field(string option, string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        return FieldPath.TryParse(text, out var path, out var error) ? path : throw new ComponentBuildException(option, $"expected a field path or \"\", found '{text}': {error}");
    }
}
