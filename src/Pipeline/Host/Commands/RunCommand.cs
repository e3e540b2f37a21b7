using System.CommandLine;
using Pipeline.Config;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;

namespace Pipeline.Host.Commands;

/// <summary>
/// <c>pipeline run [FILE]</c>, and what no command does: the service. Everything it writes is a log line in the chosen
/// format, its failures to start included: a config error is one error line per error with its file, line and column,
/// and an unexpected crash one fatal line carrying the exception.
/// </summary>
internal static class RunCommand
{
    public const string LogFormatVariable = "PIPELINE_LOG_FORMAT";

    public static Command Create(CliContext context)
    {
        var run = new Command("run", "Run the topology as a service until SIGTERM or Ctrl-C (or until every finite source is drained), then drain and exit.");
        AddTo(run, context);
        return run;
    }

    /// <summary>Makes <paramref name="command"/> run the service: <c>run</c> itself, and the root command.</summary>
    public static void AddTo(Command command, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        var logFormat = new Option<string>("--log-format")
        {
            Description = $"json (one JSON object a line, the default) or text (for a terminal). Overrides ${LogFormatVariable}.",
        };
        logFormat.AcceptOnlyFromAmong("json", "text");
        command.Options.Add(logFormat);
        var watchConfig = new Option<bool>("--watch-config")
        {
            Description = "Reload the topology when the config file changes (read every second), as SIGHUP and POST /reload do.",
        };
        command.Options.Add(watchConfig);
        var options = CliOptions.AddTo(command, adminAddress: true);
        // Shown, the root's argument would appear in every subcommand's usage line ("pipeline [<config-file>] validate");
        // the root's description says `pipeline FILE` instead.
        options.ConfigPath.Hidden = command is RootCommand;
        command.SetAction((parse, ct) => RunAsync(parse, options, parse.GetValue(logFormat), parse.GetValue(watchConfig), context, ct));
    }

    private static async Task<int> RunAsync(ParseResult parse, CliOptions options, string? logFormatFlag, bool watchConfig, CliContext context, CancellationToken cancellationToken)
    {
        var error = parse.InvocationConfiguration.Error;
        var formatText = logFormatFlag ?? context.Environment(LogFormatVariable);
        var format = formatText?.ToLowerInvariant() == "text" ? LogFormat.Text : LogFormat.Json;
        // Failures before the service's own logger exists go to stderr: stdout may be the event stream (a stdout sink).
        using var startup = LoggingSetup.CreateStartupLogger(format, error);
        if (!string.IsNullOrEmpty(formatText) && formatText.ToLowerInvariant() is not ("json" or "text"))
        {
            startup.Error("{Variable}: expected json or text, found '{Found}'", LogFormatVariable, formatText);
            return ExitCodes.ConfigError;
        }
        var loaded = options.Load(parse, context);
        if (loaded.Config is not { } config)
        {
            LogConfigErrors(loaded, startup);
            return ExitCodes.ConfigError;
        }
        try
        {
            return await ServiceHost.RunAsync(config, format, cancellationToken, watchConfig).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            startup.Fatal(e, "The pipeline crashed: {Error}", e.Message);
            return ExitCodes.Failure;
        }
    }

    private static void LogConfigErrors(LoadedConfig loaded, Serilog.ILogger logger)
    {
        if (loaded.Problem is not null)
        {
            logger.Error("Cannot start: {Error}", loaded.Problem);
            return;
        }
        foreach (var e in loaded.Errors)
        {
            var withSuggestion = e.Suggestion is null ? logger : logger.ForContext("DidYouMean", e.Suggestion);
            withSuggestion.Error("{File}:{Line}:{Column}: error: {Error}", e.Mark.File, e.Mark.Line, e.Mark.Column,
                e.Suggestion is null ? e.Message : $"{e.Message} (did you mean '{e.Suggestion}'?)");
        }
        var file = loaded.Errors.Count > 0 ? loaded.Errors[0].Mark.File : ConfigLoader.EmbeddedDefaultName;
        logger.Error("Cannot start: {File} has {ErrorCount} {Noun}; nothing was started", file, loaded.Errors.Count, loaded.Errors.Count == 1 ? "error" : "errors");
    }
}
