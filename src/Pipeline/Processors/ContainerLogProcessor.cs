using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>
/// What parse_cri and parse_docker_json share: decodes the raw runtime line in a field, reassembling partial lines
/// per partition (file) and stream, and writes the log text, stream and runtime time onto the event.
/// </summary>
/// <remarks>
/// A partial piece is not emitted (the runtime counts it as discarded): its text reaches the sink in the event of the
/// line's final piece, which keeps that event's other fields. An invalid line fails permanently with the decoder's
/// reason. Pieces still pending when the pipeline stops are lost; the file source's own <c>format</c> option flushes
/// them and is preferred.
/// </remarks>
public abstract class ContainerLogProcessor : IProcessor
{
    /// <summary>How many files' pending pieces one instance keeps before evicting the least recently used.</summary>
    public const int DefaultMaxPartitions = 4096;

    private static readonly FieldPath StreamField = FieldPath.Parse(".stream");
    private static readonly FieldPath TimestampField = FieldPath.Parse(".timestamp");
    private static readonly FieldPath IngestTimestampField = FieldPath.Parse(".ingest_timestamp");
    private static readonly FieldPath TruncatedField = FieldPath.Parse(".truncated");

    private readonly string _component;
    private readonly FieldPath _field;
    private readonly FieldPath _partitionField;
    private readonly ContainerLogPartitions _partitions;

    // The raw line is copied out before decoding: the decoded spans may point into it, and the event's storage may
    // move as soon as the first field is written.
    private byte[] _raw = new byte[1024];

    protected ContainerLogProcessor(string component, ContainerLogFormat format, FieldPath field, FieldPath partitionField,
        int maxMergedLineBytes, int maxPartitions)
    {
        _component = component;
        _field = field;
        _partitionField = partitionField;
        _partitions = new ContainerLogPartitions(format, maxMergedLineBytes, maxPartitions);
    }

    /// <summary>How many partitions hold a decoder now.</summary>
    internal int PartitionCount => _partitions.Count;

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        var value = evt.Get(_field);
        if (!value.TryGetUtf8(out var utf8))
        {
            throw new PermanentFailureException(value.IsMissing
                ? $"{_component}: field {_field} is missing (expected a string holding the container runtime's log line)"
                : $"{_component}: field {_field} must be a string holding the container runtime's log line, found {ValueKinds.Describe(value.Kind)}");
        }
        if (_raw.Length < utf8.Length)
        {
            _raw = new byte[Math.Max(utf8.Length, _raw.Length * 2)];
        }
        utf8.CopyTo(_raw);
        var raw = _raw.AsSpan(0, utf8.Length);

        var partition = evt.Get(_partitionField);
        if (!partition.TryGetUtf8(out var key) && !partition.IsMissing)
        {
            throw new PermanentFailureException(
                $"{_component}: partition_field {_partitionField} must be a string such as the file path, found {ValueKinds.Describe(partition.Kind)}");
        }
        // Without the field every line shares one partition, as with a single file.
        var decoder = _partitions.For(key);

        switch (decoder.Decode(raw, out var line, out var error))
        {
            case ContainerLineStatus.Partial:
                return ValueTask.CompletedTask;
            case ContainerLineStatus.Invalid:
                throw new PermanentFailureException($"{_component}: field {_field}: {error}");
        }

        // The file source stamps the ingest time in .timestamp; the runtime's time of writing takes its place.
        if (evt.Exists(TimestampField))
        {
            evt.Rename(TimestampField, IngestTimestampField);
        }
        evt.SetString(_field, line.Message);
        evt.SetString(StreamField, line.Stream);
        evt.SetString(TimestampField, line.Timestamp);
        if (line.Truncated)
        {
            evt.SetBoolean(TruncatedField, true);
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }

    /// <summary>Checks the options both components share and returns max_merged_line_bytes in bytes.</summary>
    internal static int CheckOptions(FieldPath field, ByteSize maxMergedLineBytes, FieldPath partitionField)
    {
        if (field.IsRoot)
        {
            throw new ComponentBuildException("field", "expected the path of a string field such as .message, found the root '.'");
        }
        if (partitionField.IsRoot)
        {
            throw new ComponentBuildException("partition_field", "expected the path of a field naming the file, such as .file, found the root '.'");
        }
        if (maxMergedLineBytes.Bytes <= 0 || maxMergedLineBytes.Bytes >= Array.MaxLength)
        {
            throw new ComponentBuildException("max_merged_line_bytes", $"expected a size between 1 byte and 2GiB, found {maxMergedLineBytes.Bytes} bytes");
        }
        return (int)maxMergedLineBytes.Bytes;
    }
}
