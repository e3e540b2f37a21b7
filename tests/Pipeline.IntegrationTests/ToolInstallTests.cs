using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests;

/// <summary>
/// The install path docs/cli.md gives first: the project packs as a .NET tool, <c>dotnet tool install</c> installs it
/// from a feed, and the installed <c>pipeline</c> command runs. Offline: the feed is a temporary folder, and the install
/// has its own package cache so it takes the package just packed, never one cached by an earlier run.
/// </summary>
public sealed class ToolInstallTests : IDisposable
{
    // Packing builds the service in Release: minutes on a loaded two-core machine.
    private static readonly TimeSpan StepWithin = TimeSpan.FromMinutes(8);

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-it-tool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<string> RunAsync(string fileName, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = Path.Combine(_directory, "packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["PIPELINE_CONFIG"] = null,
            ["PIPELINE_ADMIN_ADDRESS"] = null,
        };
        if (fileName == "dotnet" && arguments[0] == "pack")
        {
            // The pack restores the service's own dependencies from the machine's usual cache.
            environment.Remove("NUGET_PACKAGES");
        }
        await using var process = ChildProcess.Start(Path.GetFileName(fileName), fileName, arguments, environment, _directory);
        var exitCode = await process.WaitForExitAsync(StepWithin);
        Assert.True(exitCode == 0, $"{fileName} {string.Join(' ', arguments)}: exit code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (still running)"}\n{process.Tail()}");
        return string.Join('\n', process.StdoutLines);
    }

    [Fact]
    public async Task The_packed_tool_installs_from_a_feed_and_its_pipeline_command_runs()
    {
        var feed = Path.Combine(_directory, "feed");
        var tools = Path.Combine(_directory, "tools");
        var version = $"0.0.0-it.{DateTime.UtcNow:yyyyMMddHHmmss}";

        await RunAsync("dotnet", "pack", RepositoryRoot.Combine("src", "Pipeline", "Pipeline.csproj"), "--output", feed, $"-p:PackageVersion={version}");
        await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--add-source", feed, "--version", version, "Pipeline.Tool");
        var printedVersion = await RunAsync(Path.Combine(tools, "pipeline"), "--version");
        var validated = await RunAsync(Path.Combine(tools, "pipeline"), "validate");

        Assert.StartsWith("0.1.0", printedVersion, StringComparison.Ordinal);
        Assert.Equal("<embedded default>: valid: 2 sources, 5 stages, 2 sinks", validated);
    }
}
