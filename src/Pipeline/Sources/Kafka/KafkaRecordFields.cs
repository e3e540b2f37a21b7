using Pipeline.Events;

namespace Pipeline.Sources.Kafka;

/// <summary>The event fields a record's metadata goes to (Vector's topic_key, partition_key…); null for one left out.</summary>
internal sealed record KafkaRecordFields(FieldPath? Topic, FieldPath? Partition, FieldPath? Offset, FieldPath? Key, FieldPath? Headers);
