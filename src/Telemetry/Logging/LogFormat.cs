namespace Pipeline.Telemetry.Logging;

/// <summary>How the service's console log lines look: <c>--log-format</c> or PIPELINE_LOG_FORMAT.</summary>
public enum LogFormat
{
    /// <summary>One JSON object a line (<see cref="JsonLogFormat"/>): what a log collector parses. The default.</summary>
    Json,

    /// <summary>Time, level and message, for a person at a terminal; exceptions follow on their own lines.</summary>
    Text,
}
