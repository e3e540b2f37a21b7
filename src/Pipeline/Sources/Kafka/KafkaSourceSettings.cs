using Confluent.Kafka;
using Pipeline.Decoding;

namespace Pipeline.Sources.Kafka;

/// <summary>What a kafka source runs with, checked by <see cref="KafkaSourceConfig.Build"/>.</summary>
internal sealed record KafkaSourceSettings(
    ConsumerConfig Consumer, string[] Topics, DecodingCodec Codec, KafkaRecordFields Fields, TimeSpan CommitInterval, TimeSpan DrainTimeout);
