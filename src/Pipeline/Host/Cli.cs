using System.CommandLine;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Topology;

namespace Pipeline.Host;

/// <summary>
/// The <c>pipeline</c> command line: <c>run</c> (also what no command does), <c>validate</c>, <c>graph</c>, <c>test</c>, <c>buffer check</c>, <c>dead-letter replay</c>,
/// <c>components</c>, <c>tap</c>, <c>top</c>, <c>--version</c> and <c>--help</c>. Takes its writers and catalog as arguments so tests run it
/// in-process.
/// </summary>
public static class Cli
{
    /// <summary>EX_CONFIG from sysexits.h, as Vector exits on a configuration error.</summary>
    internal const int ConfigurationError = 78;

    /// <returns>The process exit code: 0 on success, 1 for a config or usage error, else the service's own code.</returns>
    /// <param name="cancellationToken">
    /// Handed to the running service. The CLI does not trap SIGTERM or Ctrl-C itself: <see cref="ServiceHost"/> owns
    /// graceful shutdown, and a second handler would race it.
    /// </param>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, ComponentCatalog catalog, CancellationToken cancellationToken = default)
    {
        var root = BuildRootCommand(catalog);
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            ProcessTerminationTimeout = null,
        };
        return root.Parse(args).InvokeAsync(invocation, cancellationToken);
    }

    private static RootCommand BuildRootCommand(ComponentCatalog catalog)
    {
        var root = new RootCommand("Pipeline moves JSON events from sources through stages of isolates to sinks. Without a command it runs the topology, like 'pipeline run'.");
        foreach (var option in root.Options)
        {
            if (option is VersionOption)
            {
                option.Action = new CliVersionAction();
            }
        }

        var rootConfig = ConfigOption(required: false, "The topology YAML file; without it the embedded default runs.");
        root.Options.Add(rootConfig);
        root.SetAction((parse, ct) => RunServiceAsync(parse, parse.GetValue(rootConfig), catalog, ct));

        var runConfig = ConfigOption(required: false, "The topology YAML file; without it the embedded default runs.");
        var watchConfig = new Option<bool>("--watch-config")
        {
            Description = "Reload the topology when the config file changes (read every second), as SIGHUP and POST /reload do.",
        };
        var run = new Command("run", "Run the topology as a service until SIGTERM or Ctrl-C, then drain and exit.") { runConfig, watchConfig };
        run.SetAction((parse, ct) => RunServiceAsync(parse, parse.GetValue(runConfig), catalog, ct, parse.GetValue(watchConfig)));
        root.Subcommands.Add(run);

        var validateConfig = ConfigOption(required: true, "The topology YAML file to check.");
        var validate = new Command("validate", "Check a topology file: exit 0 with a summary, or exit 1 with every error on stderr.") { validateConfig };
        validate.SetAction(parse => Validate(parse, parse.GetRequiredValue(validateConfig), catalog));
        root.Subcommands.Add(validate);

        var graphConfig = ConfigOption(required: true, "The topology YAML file to draw.");
        var graphFormat = new Option<string>("--format", "-f")
        {
            Description = "dot (Graphviz) or mermaid (a flowchart).",
            DefaultValueFactory = _ => "dot",
        };
        graphFormat.AcceptOnlyFromAmong("dot", "mermaid");
        var graph = new Command("graph", "Print the topology's graph: sources, stages and sinks, with named outputs on the edges.") { graphConfig, graphFormat };
        graph.SetAction(parse => Graph(parse, parse.GetRequiredValue(graphConfig), parse.GetValue(graphFormat)!, catalog));
        root.Subcommands.Add(graph);

        var componentsFormat = new Option<string>("--format", "-f")
        {
            Description = "markdown.",
            DefaultValueFactory = _ => "markdown",
        };
        componentsFormat.AcceptOnlyFromAmong("markdown");
        var components = new Command("components", "Print the reference of every component type and its options (docs/components.md).") { componentsFormat };
        components.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.Write(ComponentReference.RenderMarkdown(catalog));
            return 0;
        });
        root.Subcommands.Add(components);

        var bufferConfig = ConfigOption(required: true, "The topology YAML file whose sinks' disk buffers to check.");
        var bufferCheck = new Command("check", "Check every disk buffer of the topology offline: each record's frame and checksum. Exit 0 when all are whole, 3 when damage was found.")
        {
            bufferConfig,
        };
        bufferCheck.SetAction(parse => TryLoad(parse, () => ConfigLoader.LoadFile(parse.GetRequiredValue(bufferConfig), catalog)) is { } config
            ? BufferCheck.Run(config, parse.InvocationConfiguration.Output)
            : 1);
        root.Subcommands.Add(new Command("buffer", "Inspect the sinks' disk buffers.") { bufferCheck });

        var replayConfig = ConfigOption(required: true, "The topology YAML file whose dead-letter file to replay.");
        var replaySink = new Option<string>("--sink") { Description = "Only records dead-lettered by this stage or sink." };
        var replaySince = new Option<string>("--since") { Description = "Only records written since this time (2026-12-04T10:00:00Z) or this long ago (30m, 2h)." };
        var replay = new Command("replay", "Re-inject dead-letter records into the stage or sink that gave up on them, with their trace context, once each; report how many went where.")
        {
            replayConfig, replaySink, replaySince,
        };
        replay.SetAction((parse, ct) => TryLoad(parse, () => ConfigLoader.LoadFile(parse.GetRequiredValue(replayConfig), catalog)) is { } config
            ? DeadLetterReplay.RunAsync(config, parse.GetValue(replaySink), parse.GetValue(replaySince), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct)
            : Task.FromResult(1));
        root.Subcommands.Add(new Command("dead-letter", "Work with the dead-letter file.") { replay });
        root.Subcommands.Add(ConfigTests.TestCommand.Create(catalog));
        root.Subcommands.Add(TapCommand.Create());
        root.Subcommands.Add(TopCommand.Create());

        return root;
    }

    private static Option<string> ConfigOption(bool required, string description) => new("--config", "-c")
    {
        Description = description,
        Required = required,
    };

    private static async Task<int> RunServiceAsync(ParseResult parse, string? path, ComponentCatalog catalog, CancellationToken cancellationToken, bool watchConfig = false)
    {
        var config = path is null
            ? TryLoad(parse, () => ConfigLoader.LoadEmbeddedDefault(catalog))
            : TryLoad(parse, () => ConfigLoader.LoadFile(path, catalog));
        if (config is null)
        {
            return 1;
        }
        return await ServiceHost.RunAsync(config, cancellationToken, watchConfig).ConfigureAwait(false);
    }

    private static int Validate(ParseResult parse, string path, ComponentCatalog catalog)
    {
        var config = TryLoad(parse, () => ConfigLoader.LoadFile(path, catalog));
        if (config is null)
        {
            return 1;
        }
        foreach (var warning in config.Warnings)
        {
            parse.InvocationConfiguration.Error.WriteLine(warning.ToString());
        }
        var warnings = config.Warnings.Count == 0 ? "" : ", " + Count(config.Warnings, "warning");
        parse.InvocationConfiguration.Output.WriteLine(
            $"{path}: valid: {Count(config.Sources, "source")}, {Count(config.Stages, "stage")}, {Count(config.Sinks, "sink")}{warnings}");
        return 0;
    }

    private static int Graph(ParseResult parse, string path, string format, ComponentCatalog catalog)
    {
        var config = TryLoad(parse, () => ConfigLoader.LoadFile(path, catalog));
        if (config is null)
        {
            return 1;
        }
        parse.InvocationConfiguration.Output.Write(format == "mermaid" ? GraphRenderer.RenderMermaid(config) : GraphRenderer.RenderDot(config));
        return 0;
    }

    /// <summary>Loads a config, writing every error to stderr, one per line; null when it failed.</summary>
    internal static PipelineConfig? TryLoad(ParseResult parse, Func<PipelineConfig> load)
    {
        var stderr = parse.InvocationConfiguration.Error;
        try
        {
            return load();
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors)
            {
                stderr.WriteLine(error.ToString());
            }
            stderr.WriteLine(e.Errors.Count == 1 ? "1 error" : $"{e.Errors.Count} errors");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: cannot read the config file: {e.Message}");
            return null;
        }
    }

    private static string Count<T>(IEnumerable<T> items, string noun)
    {
        var n = items.Count();
        return n == 1 ? $"1 {noun}" : $"{n} {noun}s";
    }
}
