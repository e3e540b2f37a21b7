using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Pipeline.Telemetry;

/// <summary>Serilog wiring: structured JSON, one line per event, on stdout (stderr for the CLI's own output).</summary>
public static class LoggingSetup
{
    /// <summary>Changed at runtime (admin endpoint or SIGHUP) without rebuilding the logger.</summary>
    public static LoggingLevelSwitch LevelSwitch { get; } = new(LogEventLevel.Information);

    public static LoggerConfiguration JsonConsole(LoggerConfiguration configuration, bool toStandardError = false)
        => configuration
            .MinimumLevel.ControlledBy(LevelSwitch)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.With<ActivityEnricher>()
            .WriteTo.Console(
                new RenderedCompactJsonFormatter(),
                standardErrorFromLevel: toStandardError ? LogEventLevel.Verbose : null);

    public static Logger CreateJsonConsoleLogger(bool toStandardError = false)
        => JsonConsole(new LoggerConfiguration(), toStandardError).CreateLogger();
}
