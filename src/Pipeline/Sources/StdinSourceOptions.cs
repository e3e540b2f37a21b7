using Pipeline.Components;

namespace Pipeline.Sources;

public sealed class StdinSourceOptions
{
    [Option("Longest line accepted; a longer one is reported as invalid input (dead-lettered, cut to this size) and skipped.", Example = "256KiB")]
    public ByteSize MaxLine { get; set; } = new(1024 * 1024);
}
