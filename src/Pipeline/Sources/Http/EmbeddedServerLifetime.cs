using Microsoft.Extensions.Hosting;

namespace Pipeline.Sources.Http;

/// <summary>
/// Host lifetime for a server embedded in the pipeline (the admin port, an http source). The default console lifetime would also react to
/// SIGTERM and Ctrl-C and stop ingest on its own; the pipeline's shutdown order (sources first, then drain) is
/// the service host's to run, through the source's cancellation token.
/// </summary>
internal sealed class EmbeddedServerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
