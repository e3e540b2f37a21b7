using Pipeline.Components;

namespace Pipeline.Sinks;

public sealed class FileSinkOptions
{
    [Option("File to append JSON lines to; missing directories are created. With several isolates, isolate N > 0 writes to the name with \"-N\" before the extension (events-1.ndjson), so no two writers share a file.",
        Required = true, Example = "/var/log/pipeline/events.ndjson")]
    public string Path { get; set; } = "";

    [Option("Size at which the file is rotated: path becomes path.1, path.1 becomes path.2, and so on.", Example = "50MiB")]
    public ByteSize MaxSize { get; set; } = new(100L * 1024 * 1024);

    [Option("How many files to keep, the active one included (path, path.1 … path.<max_files - 1>); older ones are deleted.", Example = "10")]
    public int MaxFiles { get; set; } = 5;
}
