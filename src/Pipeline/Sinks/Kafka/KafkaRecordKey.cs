using Pipeline.Events;

namespace Pipeline.Sinks.Kafka;

/// <summary>What a kafka sink's <c>key</c> option says a record's key is, parsed once at build.</summary>
public sealed class KafkaRecordKey
{
    private KafkaRecordKey(bool isTraceId, FieldPath? field)
    {
        IsTraceId = isTraceId;
        FieldPath = field;
    }

    /// <summary>The event's trace id as 32 lowercase hex digits: one trace's records land on one partition, in order.</summary>
    public static KafkaRecordKey TraceId { get; } = new(isTraceId: true, field: null);

    /// <summary>No key: librdkafka spreads the records over the partitions.</summary>
    public static KafkaRecordKey None { get; } = new(isTraceId: false, field: null);

    public bool IsTraceId { get; }

    /// <summary>Set when the key is a field's value (a string's text, any other value as JSON).</summary>
    public FieldPath? FieldPath { get; }

    public static KafkaRecordKey Field(FieldPath path) => new(isTraceId: false, path);
}
