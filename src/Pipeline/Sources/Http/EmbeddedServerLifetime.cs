using Microsoft.Extensions.Hosting;

namespace Pipeline.Sources.Http;

/// <summary>
/// Host lifetime for a server embedded in the pipeline (the admin port, an http source). The default console lifetime would also react to
/// SIGTERM and Ctrl-C and stop ingest on its own; the pipeline's shutdown order (sources first, then drain) is
/// the service host's to run, through the source's cancellation token.
/// </summary>
/// <remarks>It lives with the http source because the layers depend one way: Host may use a source's types, a source none of Host's.</remarks>
internal sealed class EmbeddedServerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
