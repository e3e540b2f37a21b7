using System.CommandLine;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Host;
using Pipeline.Host.Commands;

namespace Pipeline.Tests.Host;

/// <summary>
/// Where the commands find their topology and admin address (docs/cli.md), the exit codes they give, and that <c>run</c>
/// reports a failed start-up in log lines. In-process, with an environment of the test's own.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private const string Topology = """
        name: cli
        admin: { address: "127.0.0.1:9999" }
        sources:
          in: { type: generator, count: 1 }
        sinks:
          out: { type: blackhole, inputs: [in] }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteConfig(string yaml, string name = "topology.yaml")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await Cli.RunAsync(args, stdout, stderr, BuiltInComponents.Create(), TestContext.Current.CancellationToken, name => environment.GetValueOrDefault(name))
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    private static string[] Lines(string text) => text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Validate_without_a_path_checks_the_embedded_default_as_run_would_run_it()
    {
        var (exitCode, stdout, stderr) = await Run("validate");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal($"<embedded default>: valid: 2 sources, 5 stages, 2 sinks{Environment.NewLine}", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task A_positional_path_names_the_config_for_validate_and_graph()
    {
        var path = WriteConfig(Topology);

        var validate = await Run("validate", path);
        var graph = await Run("graph", path, "--format", "mermaid");

        Assert.Equal((0, $"{path}: valid: 1 source, 0 stages, 1 sink{Environment.NewLine}"), (validate.ExitCode, validate.Stdout));
        Assert.Equal(0, graph.ExitCode);
        Assert.StartsWith("flowchart LR", graph.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_positional_path_and_a_different_config_option_are_a_usage_error()
    {
        var one = WriteConfig(Topology, "one.yaml");
        var other = WriteConfig(Topology, "other.yaml");

        var (exitCode, stdout, stderr) = await Run("validate", one, "--config", other);

        Assert.Equal(1, exitCode);
        Assert.Contains($"two config files given: '{one}' and --config '{other}'; give one", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(": valid:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_file_given_positionally_and_with_config_is_accepted()
    {
        var path = WriteConfig(Topology);

        var (exitCode, _, _) = await Run("validate", path, "-c", path);

        Assert.Equal(ExitCodes.Ok, exitCode);
    }

    [Fact]
    public async Task PIPELINE_CONFIG_names_the_config_when_no_path_is_given_and_a_path_beats_it()
    {
        var fromEnvironment = WriteConfig(Topology.Replace("name: cli", "name: from-env", StringComparison.Ordinal), "env.yaml");
        var given = WriteConfig(Topology, "given.yaml");
        var environment = new Dictionary<string, string> { [CliOptions.ConfigVariable] = fromEnvironment };

        var fallback = await Run(environment, "validate");
        var overridden = await Run(environment, "validate", given);

        Assert.StartsWith($"{fromEnvironment}: valid", fallback.Stdout, StringComparison.Ordinal);
        Assert.StartsWith($"{given}: valid", overridden.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_given_as_the_config_is_named_as_a_directory_with_exit_78()
    {
        var (exitCode, _, stderr) = await Run("validate", "-c", _directory);

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Equal($"error: '{_directory}' is a directory, not a topology file{Environment.NewLine}", stderr);
    }

    [Fact]
    public async Task A_missing_config_file_is_no_such_file_with_exit_78()
    {
        var missing = Path.Combine(_directory, "absent.yaml");

        var (exitCode, _, stderr) = await Run("graph", missing);

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Equal($"error: no such file: '{missing}'{Environment.NewLine}", stderr);
    }

    [Theory]
    [InlineData(null, null, "127.0.0.1:9999")]
    [InlineData(null, "127.0.0.1:7000", "127.0.0.1:7000")]
    [InlineData("127.0.0.1:8000", "127.0.0.1:7000", "127.0.0.1:8000")]
    public void The_admin_address_comes_from_the_flag_then_the_environment_then_the_yaml(string? flag, string? environment, string expected)
    {
        var path = WriteConfig(Topology);
        var command = new RootCommand();
        var options = CliOptions.AddTo(command, adminAddress: true);
        var parse = command.Parse(flag is null ? [path] : [path, "--admin-address", flag]);
        var variables = new Dictionary<string, string>();
        if (environment is not null)
        {
            variables[CliOptions.AdminAddressVariable] = environment;
        }

        var loaded = options.Load(parse, new CliContext(BuiltInComponents.Create(), name => variables.GetValueOrDefault(name)));

        Assert.Equal(expected, loaded.Config?.AdminAddress);
    }

    [Fact]
    public async Task A_malformed_admin_address_is_a_config_error_naming_where_it_came_from()
    {
        var path = WriteConfig(Topology);

        var flag = await Run("validate", path, "--admin-address", "nine");
        var variable = await Run(new Dictionary<string, string> { [CliOptions.AdminAddressVariable] = "nine" }, "validate", path);

        Assert.Equal(ExitCodes.ConfigError, flag.ExitCode);
        Assert.StartsWith("error: --admin-address: expected ip:port", flag.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.ConfigError, variable.ExitCode);
        Assert.StartsWith($"error: {CliOptions.AdminAddressVariable}: expected ip:port", variable.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_an_invalid_config_writes_a_json_line_per_error_with_its_position_then_a_summary_and_exits_78()
    {
        var path = WriteConfig("""
            sources:
              in: {type: generatr}
            sinks: {}
            """);

        var (exitCode, stdout, stderr) = await Run("run", path);

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Equal("", stdout);
        var lines = Lines(stderr).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Equal("Error", l.GetProperty("level").GetString()));
        Assert.Equal((path, 2, 14, "generator"), (lines[0].GetProperty("file").GetString(), lines[0].GetProperty("line").GetInt32(), lines[0].GetProperty("column").GetInt32(), lines[0].GetProperty("did_you_mean").GetString()));
        Assert.Equal($"Cannot start: {path} has 2 errors; nothing was started", lines[2].GetProperty("message").GetString());
    }

    [Fact]
    public async Task Run_with_text_log_format_writes_lines_for_a_person()
    {
        var missing = Path.Combine(_directory, "absent.yaml");

        var flag = await Run("run", missing, "--log-format", "text");
        var variable = await Run(new Dictionary<string, string> { [RunCommand.LogFormatVariable] = "text" }, missing);

        foreach (var (exitCode, _, stderr) in new[] { flag, variable })
        {
            Assert.Equal(ExitCodes.ConfigError, exitCode);
            Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} ERR Cannot start: no such file: '.*absent\.yaml'\r?\n$", stderr);
        }
    }

    [Fact]
    public async Task An_unknown_PIPELINE_LOG_FORMAT_is_a_config_error()
    {
        var (exitCode, _, stderr) = await Run(new Dictionary<string, string> { [RunCommand.LogFormatVariable] = "xml" }, "run");

        Assert.Equal(ExitCodes.ConfigError, exitCode);
        Assert.Contains("PIPELINE_LOG_FORMAT: expected json or text, found 'xml'", JsonDocument.Parse(stderr).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
