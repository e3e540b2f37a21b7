using System.Globalization;
using Pipeline.Telemetry.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Templates;

namespace Pipeline.Telemetry;

/// <summary>
/// Serilog wiring: structured JSON, one line per event (<see cref="JsonLogFormat"/>), on stdout (stderr when a stdout
/// sink owns stdout, and for the CLI's own output), plus the optional shippers (<see cref="LogShippingSinks"/>).
/// </summary>
public static class LoggingSetup
{
    private static readonly ITextFormatter Format = JsonLogFormat.Create();

    // Local time: the text format is read by the person at the terminal, in their own clock.
    private static readonly ITextFormatter TextFormat = new ExpressionTemplate(
        "{@t:HH:mm:ss.fff} {@l:u3} {@m}\n{#if @x is not null}{@x}{#end}", CultureInfo.InvariantCulture);

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
        => Console(configuration, LogFormat.Json, toStandardError);

    public static LoggerConfiguration Console(LoggerConfiguration configuration, LogFormat format, bool toStandardError = false)
        => Levels(configuration)
            .WriteTo.Console(FormatterFor(format), standardErrorFromLevel: toStandardError ? LogEventLevel.Verbose : null);

    /// <summary>
    /// The logger of a failure before the service's own logger exists (a config error, a crash), in the same format,
    /// into <paramref name="writer"/>: so even a start-up that fails writes nothing but log lines.
    /// </summary>
    public static Logger CreateStartupLogger(LogFormat format, TextWriter writer)
        => Levels(new LoggerConfiguration())
            .WriteTo.Sink(new WriterSink(FormatterFor(format), writer))
            .CreateLogger();

    private static ITextFormatter FormatterFor(LogFormat format) => format == LogFormat.Text ? TextFormat : Format;

    private static LoggerConfiguration Levels(LoggerConfiguration configuration)
        => configuration
            .MinimumLevel.ControlledBy(LevelSwitch)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            // The embedded servers' start-up faults (a port in use) are rethrown to the service host, which logs each once:
            // an expected one as a line saying what to change, anything else as a fatal line with the exception.
            .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
            .Enrich.FromLogContext()
            .Enrich.With<ActivityEnricher>();

    public static Logger CreateJsonConsoleLogger(bool toStandardError = false)
        => JsonConsole(new LoggerConfiguration(), toStandardError).CreateLogger();

    /// <summary>The service's logger: the JSON console lines, and the shippers <paramref name="shipping"/> turns on.</summary>
    public static Logger CreateServiceLogger(LogShippingOptions shipping, LogExportCounters counters, bool toStandardError, LogFormat format = LogFormat.Json)
        => LogShippingSinks.AddTo(Console(new LoggerConfiguration(), format, toStandardError), shipping, counters).CreateLogger();

    /// <summary>Serilog 4 has no text-writer sink of its own; the CLI's writers are what its tests read.</summary>
    private sealed class WriterSink(ITextFormatter formatter, TextWriter writer) : ILogEventSink
    {
        private readonly Lock _gate = new();

        public void Emit(LogEvent logEvent)
        {
            lock (_gate)
            {
                formatter.Format(logEvent, writer);
                writer.Flush();
            }
        }
    }
}
