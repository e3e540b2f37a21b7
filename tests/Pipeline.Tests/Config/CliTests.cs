using System.Reflection;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Host;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Config;

public sealed class CliTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"pipeline-cli-{Guid.NewGuid():N}");

    public CliTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteConfig(string yaml)
    {
        var path = Path.Combine(_directory, "topology.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await Cli.RunAsync(args, stdout, stderr, new TestComponents().Catalog, TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Validate_prints_a_summary_and_exits_0_for_a_valid_file()
    {
        var path = WriteConfig(GraphRendererTests.FanOutFanIn);

        var (exitCode, stdout, stderr) = await Run("validate", "--config", path);

        Assert.Equal(0, exitCode);
        Assert.Equal($"{path}: valid: 1 source, 3 stages, 1 sink{Environment.NewLine}", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Validate_prints_every_error_with_file_line_col_and_exits_78()
    {
        var path = WriteConfig("""
            sources:
              in: {type: gen, rate: fast}
            sinks:
              o: {type: out, inputs: [inn]}
            """);

        var (exitCode, stdout, stderr) = await Run("validate", "--config", path);

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Equal("", stdout);
        var lines = stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            [
                $"{path}:2:25: error: source 'in' (gen): option 'rate': expected an integer, found 'fast'",
                $"{path}:4:27: error: sink 'o' (out): unknown input 'inn' (expected the id of a source or stage) (did you mean 'in'?)",
                "2 errors",
            ],
            lines);
    }

    [Fact]
    public async Task Validate_rejects_bad_telemetry_settings_at_their_line_and_column()
    {
        var path = WriteConfig("""
            telemetry:
              traces:
                protocol: foo
                ratio: 2
              logs:
                batch_size: 0
                otlp_enabled: true
                otlp_endpoint: collector:4317
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        var (exitCode, stdout, stderr) = await Run("validate", "--config", path);

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Equal("", stdout);
        Assert.Equal(
            [
                $"{path}:3:5: error: 'telemetry.traces.protocol': expected grpc or http/protobuf, found 'foo'",
                $"{path}:4:5: error: 'telemetry.traces.ratio': expected a number from 0 to 1, found 2",
                $"{path}:6:5: error: 'telemetry.logs.batch_size': expected an integer between 1 and 100,000, found 0",
                $"{path}:8:5: error: 'telemetry.logs.otlp_endpoint': expected an absolute http:// or https:// URL, found 'collector:4317'",
                "4 errors",
            ],
            stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Validate_of_a_missing_file_exits_78()
    {
        var (exitCode, _, stderr) = await Run("validate", "--config", Path.Combine(_directory, "absent.yaml"));

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.StartsWith("error: no such file: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_an_invalid_config_exits_78_before_starting_anything()
    {
        var path = WriteConfig("sources: {}\n");

        var (exitCode, _, stderr) = await Run("run", "--config", path);

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Contains($"{path}:1:1: error: the topology is empty: expected at least one source", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_command_runs_like_run()
    {
        var path = WriteConfig("sinks: {}\n");

        var (exitCode, _, stderr) = await Run("--config", path);

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Contains("expected at least one sink", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Graph_prints_dot_by_default_and_mermaid_on_request()
    {
        var path = WriteConfig(GraphRendererTests.FanOutFanIn);

        var dot = await Run("graph", "--config", path);
        var mermaid = await Run("graph", "--config", path, "--format", "mermaid");

        Assert.Equal(0, dot.ExitCode);
        Assert.StartsWith("digraph \"demo\" {", dot.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"split\" -> \"out\" [label=\"errors\"];", dot.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, mermaid.ExitCode);
        Assert.StartsWith("flowchart LR\n", mermaid.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Graph_rejects_an_unknown_format()
    {
        var path = WriteConfig(GraphRendererTests.FanOutFanIn);

        var (exitCode, stdout, stderr) = await Run("graph", "--config", path, "--format", "png");

        Assert.Equal(1, exitCode);
        Assert.Contains("'png'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("digraph", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_informational_version()
    {
        var (exitCode, stdout, _) = await Run("--version");

        var expected = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(0, exitCode);
        Assert.Equal(expected + Environment.NewLine, stdout);
        Assert.StartsWith("0.1.0", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var (exitCode, stdout, _) = await Run("--help");

        Assert.Equal(0, exitCode);
        foreach (var command in new[] { "run", "validate", "graph", "components" })
        {
            Assert.Contains(command, stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Components_prints_the_reference_from_the_catalog_metadata()
    {
        var (exitCode, stdout, _) = await Run("components", "--format", "markdown");

        Assert.Equal(0, exitCode);
        Assert.Contains("### `check`", stdout, StringComparison.Ordinal);
        Assert.Contains("| `condition` | string | yes |  | The condition. | `.level == \"error\"` |", stdout, StringComparison.Ordinal);
        Assert.Contains("| `timeout` | duration | no | `5s` | A duration. |  |", stdout, StringComparison.Ordinal);
        Assert.Contains("| `speed` | one of fast, very_slow | no | `fast` | An enum. |  |", stdout, StringComparison.Ordinal);
        Assert.Contains("| `isolates` | integer 1 to max(64, 16 × processors), or auto | `1` |", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Docs_component_reference_matches_the_registrations()
    {
        var docs = RepositoryRoot.Combine("docs", "components.md");

        var generated = ComponentReference.RenderMarkdown(BuiltInComponents.Create());

        Assert.True(
            File.ReadAllText(docs).ReplaceLineEndings("\n") == generated,
            "docs/components.md is stale: regenerate it with `dotnet run --project src/Pipeline -- components > docs/components.md`");
    }
}
