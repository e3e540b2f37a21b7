using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Events;

namespace Pipeline.Processors;

[Component("parse_docker_json", "Decodes Docker json-file log lines (Kubernetes with dockerd) and joins partial lines; needs each file's lines in order in one isolate (isolates: 1, or router: key_affinity with key: .file).")]
public sealed class ParseDockerJsonConfig : IProcessorConfig
{
    [Option("The string field holding the raw json-file line; it is replaced by the unescaped log text, and .stream and .timestamp (the runtime's time; an existing .timestamp moves to .ingest_timestamp) are set.", Example = ".message")]
    public FieldPath Field { get; set; } = FieldPath.Parse(".message");

    [Option("Longest line after joining partial lines; a longer one is cut to this size and gets .truncated = true.", Example = "256KiB")]
    public ByteSize MaxMergedLineBytes { get; set; } = new(1024 * 1024);

    [Option("Partial lines are joined per value of this field (the file a line came from) and per stream.", Example = ".file")]
    public FieldPath PartitionField { get; set; } = FieldPath.Parse(".file");

    public IProcessorFactory Build(ComponentContext context)
    {
        var maxMergedLineBytes = ContainerLogProcessor.CheckOptions(Field, MaxMergedLineBytes, PartitionField);
        var field = Field;
        var partitionField = PartitionField;
        return new ProcessorFactory(_ => new ParseDockerJson(field, partitionField, maxMergedLineBytes));
    }
}

/// <summary>
/// Decodes a Docker json-file log line (<c>{"log":"text\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}</c>):
/// <c>.message</c> (or the configured field) becomes the unescaped log text without its newline, <c>.stream</c>
/// stdout or stderr, <c>.timestamp</c> the runtime's time (an existing <c>.timestamp</c>, the ingest time, moves to
/// <c>.ingest_timestamp</c> first). dockerd splits lines over 16 KiB into pieces whose log does not end in a newline:
/// they are held back and joined, per file and stream, to the piece that does, whose event is emitted.
/// </summary>
/// <remarks>
/// The joining needs all lines of one file, in order, in one isolate: run the stage with <c>isolates: 1</c>, or with
/// <c>router: key_affinity</c> and <c>key: .file</c>. The file source's own <c>format</c> option decodes before
/// checkpointing (so held-back pieces are never lost on restart) and is preferred.
/// </remarks>
public sealed class ParseDockerJson(FieldPath field, FieldPath partitionField, int maxMergedLineBytes, int maxPartitions = ContainerLogProcessor.DefaultMaxPartitions)
    : ContainerLogProcessor("parse_docker_json", ContainerLogFormat.DockerJson, field, partitionField, maxMergedLineBytes, maxPartitions);
