namespace Pipeline.Telemetry.Logging;

/// <summary>Who wrote the logs: ECS <c>service.*</c>/<c>host.name</c> and the OTLP resource attributes of shipped logs.</summary>
/// <param name="Name">service.name: <c>OTEL_SERVICE_NAME</c>, else "pipeline".</param>
/// <param name="Version">service.version: the build's version.</param>
/// <param name="InstanceId">service.instance.id: unique per process, so two replicas on one host stay apart.</param>
/// <param name="HostName">host.name.</param>
public sealed record LogServiceIdentity(string Name, string? Version, string InstanceId, string HostName);
