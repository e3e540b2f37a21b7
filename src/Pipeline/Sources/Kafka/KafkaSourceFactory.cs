using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sources.Kafka;

internal sealed class KafkaSourceFactory(KafkaSourceSettings settings) : ISourceFactory
{
    /// <summary>Offsets wait for acknowledgements unless the config says acknowledgements: false (then at-most-once).</summary>
    public bool AcknowledgementsByDefault => true;

    public bool ConsumesMessages => true;

    public FieldPath? OrderKey => settings.Fields.Partition;

    public ISource Create() => new KafkaSource(settings);
}
