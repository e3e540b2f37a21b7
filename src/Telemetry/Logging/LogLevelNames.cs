using Serilog.Events;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// Level names as operators type them (admin endpoint, <c>PIPELINE_LOG_LEVEL</c>): Serilog's six names in lower case,
/// case-insensitive, plus the common short forms trace, info and warn.
/// </summary>
public static class LogLevelNames
{
    public static IReadOnlyList<string> Valid { get; } = ["verbose", "debug", "information", "warning", "error", "fatal"];

    /// <summary>"one of verbose, debug, ..." for error messages.</summary>
    public static string Expected => "one of " + string.Join(", ", Valid) + " (or trace, info, warn)";

    public static string Name(LogEventLevel level) => Valid[(int)level];

    public static bool TryParse(string? text, out LogEventLevel level)
    {
        level = LogEventLevel.Information;
        var name = text?.Trim().ToLowerInvariant();
        switch (name)
        {
            case "trace":
                level = LogEventLevel.Verbose;
                return true;
            case "info":
                level = LogEventLevel.Information;
                return true;
            case "warn":
                level = LogEventLevel.Warning;
                return true;
            case null:
                return false;
        }
        for (var i = 0; i < Valid.Count; i++)
        {
            if (Valid[i] == name)
            {
                level = (LogEventLevel)i;
                return true;
            }
        }
        return false;
    }
}
