using Confluent.Kafka;

namespace Pipeline.Sinks.Kafka;

/// <summary>Which of librdkafka's failed deliveries are worth sending again.</summary>
internal static class KafkaDeliveryErrors
{
    /// <summary>
    /// False for what the same record to the same topic meets again however long the pipeline waits: it is too large,
    /// malformed, or not allowed, or its topic is no name Kafka knows or accepts. Everything else (timed out in the
    /// queue, a leader election, too few in-sync replicas, a broker down) passes, and is retried; an unknown code is
    /// taken for an outage too, since dead-lettering a record for a passing cause loses its place in the partition.
    /// </summary>
    public static bool IsRetryable(ErrorCode code) => code is not (
        ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidMsgSize or ErrorCode.RecordListTooLarge
        or ErrorCode.InvalidRecord or ErrorCode.InvalidMsg or ErrorCode.Local_BadMsg or ErrorCode.InvalidTimestamp
        or ErrorCode.UnsupportedForMessageFormat or ErrorCode.PolicyViolation
        or ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed or ErrorCode.TopicException
        or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition or ErrorCode.Local_InvalidArg);

    /// <summary>What a dead-letter record and the logs say: the topic, librdkafka's code and its text.</summary>
    public static string Describe(Error error, string topic) => $"kafka did not take the record for topic '{topic}': {error.Code} ({error.Reason})";
}
