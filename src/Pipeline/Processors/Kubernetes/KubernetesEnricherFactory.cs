using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Processors.Kubernetes;

/// <summary>
/// The kubernetes stage's build result: per isolate an enricher with its own cache of log paths, and for the whole
/// stage one <see cref="PodCache"/> (when pod_metadata is on), started with the stage and stopped after it.
/// </summary>
public sealed class KubernetesEnricherFactory(FieldPath field, PodCacheSettings? podSettings) : IProcessorFactory, ISharedStageState
{
    /// <summary>Log files one isolate tails at a time, roughly: enough for a busy node's containers to keep hitting.</summary>
    internal const int PathCacheSize = 64;

    // Set by Start, before the runtime makes any instance; read by CreateForIsolate on the isolates' threads (starting
    // them orders the writes before those reads).
    private KubernetesInstruments? _instruments;
    private PodCache? _pods;

    /// <summary>The stage's pod cache; null when pod_metadata is off or before the stage started.</summary>
    public PodCache? Pods => _pods;

    public void Start(StageRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _instruments = runtime.Metrics.CreateKubernetesInstruments();
        if (podSettings is not null)
        {
            _pods = new PodCache(podSettings, runtime.Logger, _instruments);
            _pods.Start();
        }
    }

    public IProcessor CreateForIsolate(int isolateIndex)
        => new KubernetesEnricher(field, new LogPathCache(PathCacheSize), _pods, _instruments);

    public async ValueTask DisposeAsync()
    {
        if (_pods is not null)
        {
            await _pods.DisposeAsync().ConfigureAwait(false);
        }
    }
}
