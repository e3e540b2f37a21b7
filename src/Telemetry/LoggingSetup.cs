using Pipeline.Telemetry.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Pipeline.Telemetry;

/// <summary>
/// Serilog wiring: structured JSON, one line per event (<see cref="JsonLogFormat"/>), on stdout (stderr when a stdout
/// sink owns stdout, and for the CLI's own output), plus the optional shippers (<see cref="LogShippingSinks"/>).
/// </summary>
public static class LoggingSetup
{
    private static readonly ITextFormatter Format = JsonLogFormat.Create();

    /// <summary>Changed at runtime (admin endpoint or SIGHUP) without rebuilding the logger.</summary>
    public static LoggingLevelSwitch LevelSwitch { get; } = new(LogEventLevel.Information);

    /// <summary>
    /// Sets <see cref="LevelSwitch"/> and records the change in one Information line, written under whichever of the
    /// old and new levels is the more verbose, so the line survives unless both are above Information.
    /// </summary>
    /// <param name="cause">How the change came, e.g. "the admin endpoint" or "SIGHUP".</param>
    /// <returns>The level before the change.</returns>
    public static LogEventLevel ChangeLevel(LogEventLevel level, ILogger logger, string cause)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var previous = LevelSwitch.MinimumLevel;
        if (level < previous)
        {
            LevelSwitch.MinimumLevel = level;
        }
        logger.Information("Log level changed from {PreviousLevel} to {LogLevel} by {Cause}", LogLevelNames.Name(previous), LogLevelNames.Name(level), cause);
        LevelSwitch.MinimumLevel = level;
        return previous;
    }

    public static LoggerConfiguration JsonConsole(LoggerConfiguration configuration, bool toStandardError = false)
        => configuration
            .MinimumLevel.ControlledBy(LevelSwitch)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.With<ActivityEnricher>()
            .WriteTo.Console(Format, standardErrorFromLevel: toStandardError ? LogEventLevel.Verbose : null);

    public static Logger CreateJsonConsoleLogger(bool toStandardError = false)
        => JsonConsole(new LoggerConfiguration(), toStandardError).CreateLogger();

    /// <summary>The service's logger: the JSON console lines, and the shippers <paramref name="shipping"/> turns on.</summary>
    public static Logger CreateServiceLogger(LogShippingOptions shipping, LogExportCounters counters, bool toStandardError)
        => LogShippingSinks.AddTo(JsonConsole(new LoggerConfiguration(), toStandardError), shipping, counters).CreateLogger();
}
