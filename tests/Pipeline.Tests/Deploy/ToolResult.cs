namespace Pipeline.Tests.Deploy;

/// <summary>What an external tool printed and how it exited.</summary>
internal sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Everything the tool said, for an assertion message.</summary>
    public string Transcript => $"exit code {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}
