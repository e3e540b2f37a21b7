using Pipeline.Components;

namespace Pipeline.Config;

/// <summary><c>telemetry.logs</c> in YAML: the service's own log level and where its logs are shipped.</summary>
public sealed class LogsSettings
{
}
