using System.Text.RegularExpressions;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// The Dockerfile, read as text: there is no Docker daemon in CI to build it, so these check the properties the
/// issue asks for and that every file it copies exists.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = [.. File.ReadAllLines(RepositoryRoot.Combine("Dockerfile")).Where(l => !l.TrimStart().StartsWith('#'))];

    private static IEnumerable<string> Instructions(string name) =>
        Lines.Where(l => l.StartsWith(name + " ", StringComparison.Ordinal));

    [Fact]
    public void It_builds_on_the_sdk_and_runs_self_contained_on_the_runtime_deps_image()
    {
        var stages = Instructions("FROM").ToList();

        Assert.True(stages.Count >= 2, "expected a multi-stage build");
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0", stages[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_runs_on_the_project_files_before_the_sources_are_copied()
    {
        var restore = Array.FindIndex(Lines, l => l.Contains("dotnet restore", StringComparison.Ordinal));
        var sources = Array.FindIndex(Lines, l => l.StartsWith("COPY src/ ", StringComparison.Ordinal));
        var projectCopies = Lines.Take(restore).Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).ToList();

        Assert.InRange(restore, 0, sources - 1);
        Assert.Contains(projectCopies, l => l.Contains("Directory.Packages.props", StringComparison.Ordinal) && l.Contains("global.json", StringComparison.Ordinal));
        Assert.Contains(projectCopies, l => l.Contains("src/Pipeline/Pipeline.csproj", StringComparison.Ordinal));
        Assert.Contains(projectCopies, l => l.Contains("src/Telemetry/Telemetry.csproj", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_file_the_build_copies_exists()
    {
        var sources = Instructions("COPY")
            .Where(l => !l.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .ToList();

        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.True(File.Exists(RepositoryRoot.Combine(s)) || Directory.Exists(RepositoryRoot.Combine(s)), $"COPY {s}: not in the repository"));
    }

    [Fact]
    public void It_runs_as_a_non_root_user_with_its_data_under_var_lib_pipeline()
    {
        var user = Assert.Single(Instructions("USER"));

        Assert.DoesNotMatch(@"^USER\s+(root|0)(:|\s|$)", user);
        Assert.Contains(Lines, l => l.Contains("PIPELINE_DATA_DIR=/var/lib/pipeline", StringComparison.Ordinal));
        Assert.Contains(Lines, l => l.Contains("DOTNET_EnableDiagnostics=0", StringComparison.Ordinal));
    }

    [Fact]
    public void It_exposes_ingest_and_admin_and_checks_its_health()
    {
        var exposed = Instructions("EXPOSE").SelectMany(l => l.Split(' ')[1..]).ToList();

        Assert.Contains("8080", exposed);
        Assert.Contains("9464", exposed);
        var healthcheck = string.Join('\n', Lines.SkipWhile(l => !l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal)).Take(2));
        Assert.Contains("/healthz", healthcheck, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_healthcheck_command_is_valid_bash()
    {
        var bash = ExternalTool.Require("bash", "bash");
        var healthcheck = string.Join('\n', Lines.SkipWhile(l => !l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal)).Take(2));
        var script = HealthcheckScript().Match(healthcheck);
        Assert.True(script.Success, healthcheck);

        // -n parses without running: the JSON-escaped script, unescaped, must be bash.
        var result = await bash.RunAsync(["-n", "-c", System.Text.Json.JsonSerializer.Deserialize<string>($"\"{script.Groups[1].Value}\"")!]);

        Assert.True(result.Succeeded, result.Transcript);
    }

    [GeneratedRegex("""CMD \["bash", "-c", "((?:[^"\\]|\\.)*)"\]""")]
    private static partial Regex HealthcheckScript();
}
