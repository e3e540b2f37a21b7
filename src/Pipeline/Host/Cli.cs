using System.CommandLine;
using Pipeline.Components;
using Pipeline.Host.Commands;

namespace Pipeline.Host;

/// <summary>
/// The <c>pipeline</c> command line: <c>run</c> (also what no command does), <c>validate</c>, <c>graph</c>, <c>test</c>, <c>buffer check</c>, <c>dead-letter replay</c>,
/// <c>components</c>, <c>tap</c>, <c>top</c>, <c>--version</c> and <c>--help</c>; each command is built in its own file under Commands/. Takes its
/// writers, catalog and environment as arguments so tests run it in-process. docs/cli.md describes it.
/// </summary>
public static class Cli
{
    /// <returns>The process exit code (<see cref="ExitCodes"/>): 0, 1 for a failure or a usage error, 78 for a config error.</returns>
    /// <param name="cancellationToken">
    /// Handed to the running service. The CLI does not trap SIGTERM or Ctrl-C itself: <see cref="ServiceHost"/> owns
    /// graceful shutdown, and a second handler would race it.
    /// </param>
    /// <param name="environment">Where PIPELINE_CONFIG and the other variables are read; the process's by default.</param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, ComponentCatalog catalog, CancellationToken cancellationToken = default, Func<string, string?>? environment = null)
    {
        var root = BuildRootCommand(new CliContext(catalog, environment ?? Environment.GetEnvironmentVariable));
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            ProcessTerminationTimeout = null,
        };
        return root.Parse(args).InvokeAsync(invocation, cancellationToken);
    }

    private static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand("Pipeline moves JSON events from sources through stages of isolates to sinks. Without a command it runs the topology, like 'pipeline run': 'pipeline FILE' runs FILE.");
        foreach (var option in root.Options)
        {
            if (option is VersionOption)
            {
                option.Action = new CliVersionAction();
            }
        }
        RunCommand.AddTo(root, context);

        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(ValidateCommand.Create(context));
        root.Subcommands.Add(GraphCommand.Create(context));
        root.Subcommands.Add(ComponentsCommand.Create(context));
        root.Subcommands.Add(BufferCommand.Create(context));
        root.Subcommands.Add(DeadLetterCommand.Create(context));
        root.Subcommands.Add(TapCommand.Create(context));
        root.Subcommands.Add(TopCommand.Create(context));
        root.Subcommands.Add(ConfigTests.TestCommand.Create(context));
        return root;
    }

    /// <summary>
    /// Loads a config, writing every error to stderr, one per line; null when it failed. For commands that load more
    /// than the one topology <see cref="CliOptions"/> resolves (a side file of tests).
    /// </summary>
    internal static Config.PipelineConfig? TryLoad(ParseResult parse, Func<Config.PipelineConfig> load)
    {
        var stderr = parse.InvocationConfiguration.Error;
        try
        {
            return load();
        }
        catch (Config.ConfigException e)
        {
            new LoadedConfig(null, e.Errors, null).WriteErrors(stderr);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: cannot read the config file: {e.Message}");
            return null;
        }
    }
}
