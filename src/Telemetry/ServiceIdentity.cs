using System.Reflection;

namespace Pipeline.Telemetry;

/// <summary>
/// Who this process is, made once and used by every signal: the spans' resource, the OTLP and Elasticsearch log
/// shippers and the <c>target_info</c> metric. Two copies of these values (a version without the commit here, a
/// second instance id there) made one process look like two in the backends.
/// </summary>
public static class ServiceIdentity
{
    /// <summary>service.name unless OTEL_SERVICE_NAME or YAML says otherwise.</summary>
    public const string DefaultName = "pipeline";

    /// <summary>service.version: the build's informational version, <c>0.1.0+&lt;commit&gt;</c>.</summary>
    public static string Version { get; } =
        typeof(ServiceIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>service.instance.id: one random id per process, as the resource conventions suggest, so two replicas on a host stay apart.</summary>
    public static string InstanceId { get; } = Guid.NewGuid().ToString();

    /// <summary>host.name.</summary>
    public static string HostName { get; } = Environment.MachineName;

    /// <summary>service.name from OTEL_SERVICE_NAME, else <see cref="DefaultName"/>.</summary>
    public static string NameFrom(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment("OTEL_SERVICE_NAME") is { Length: > 0 } name ? name.Trim() : DefaultName;
    }
}
