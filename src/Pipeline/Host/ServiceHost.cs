using Pipeline.Config;

namespace Pipeline.Host;

/// <summary>
/// Runs a validated topology as a service: admin endpoints on Kestrel, sources started, graceful drain on
/// SIGTERM or Ctrl-C. Returns the process exit code.
/// </summary>
public static class ServiceHost
{
    public static Task<int> RunAsync(PipelineConfig config, CancellationToken cancellationToken)
        => throw new NotImplementedException();
}
