namespace Pipeline.Bench.Throughput;

/// <summary>How to start the pipeline: its dll through dotnet, or a native (AOT or single-file) executable directly.</summary>
internal sealed record PipelineCommand(string File, IReadOnlyList<string> Prefix)
{
    public static PipelineCommand For(string path) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? new("dotnet", [path]) : new(path, []);

    /// <summary>The dll or the executable, for the report.</summary>
    public string Description => Prefix.Count > 0 ? Prefix[0] : File;

    public IReadOnlyList<string> Arguments(string configPath) => [.. Prefix, "run", "--config", configPath];

    public IReadOnlyList<string> CommandLine(string configPath) => [File, .. Arguments(configPath)];
}
