using Pipeline.Config;

namespace Pipeline.Host.Commands;

/// <summary>
/// The topology a command was pointed at, or why there is none: the config's own errors (each with file:line:col), or
/// one problem that has no line (no such file, a directory, a bad --admin-address). Commands render it their way:
/// text for a terminal command, log lines for <c>run</c>.
/// </summary>
public sealed record LoadedConfig(PipelineConfig? Config, IReadOnlyList<ConfigError> Errors, string? Problem)
{
    public static LoadedConfig Failed(string problem) => new(null, [], problem);

    /// <summary>Every error as the terminal commands print it, one a line, then the count.</summary>
    public void WriteErrors(TextWriter error)
    {
        if (Problem is not null)
        {
            error.WriteLine($"error: {Problem}");
            return;
        }
        foreach (var e in Errors)
        {
            error.WriteLine(e.ToString());
        }
        error.WriteLine(Errors.Count == 1 ? "1 error" : $"{Errors.Count} errors");
    }
}
