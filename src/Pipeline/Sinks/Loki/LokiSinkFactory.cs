using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Loki;

/// <summary>
/// The loki sink's build result: per isolate a <see cref="LokiSink"/>, and for the whole sink the distinct label
/// values it admitted (the cardinality bound holds for the process, not per isolate) and its metrics, bound when the
/// stage starts.
/// </summary>
internal sealed class LokiSinkFactory : ISinkFactory, ISharedStageState
{
    private readonly Lazy<HttpClient> _client;
    private readonly Uri _push;
    private readonly LokiSinkConfig _config;
    private readonly IReadOnlyList<LokiLabel> _labels;
    private readonly string _sinkId;
    private readonly LokiLabelValues _values;

    // Set by Start, before the runtime makes any instance; read by CreateForIsolate on the isolates' threads
    // (starting them orders the write before those reads). A sink made without the runtime (a test) counts nowhere.
    private MetricCounter[]? _overLimit;

    public LokiSinkFactory(Lazy<HttpClient> client, Uri push, LokiSinkConfig config, IReadOnlyList<LokiLabel> labels, string sinkId)
    {
        _client = client;
        _push = push;
        _config = config;
        _labels = labels;
        _sinkId = sinkId;
        _values = new LokiLabelValues(labels.Count, config.MaxLabelValues);
    }

    public bool DeliversOverNetwork => true;

    public void Start(StageRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _overLimit = CountersOf(runtime.Metrics);
    }

    public ISink CreateForIsolate(int isolateIndex)
    {
        var request = new LokiPushRequest(_labels, _values, _overLimit ?? CountersOf(PipelineMetrics.CreateIsolated().ForComponent("", _sinkId, "sink")), _sinkId,
            textLines: _config.Encoding?.Codec == LokiEncodingSettings.LineCodec.Text, _config.RemoveLabelFields);
        return new LokiSink(_client.Value, _push, _config, request);
    }

    private MetricCounter[] CountersOf(ComponentMetrics metrics)
    {
        var instruments = metrics.CreateLokiInstruments();
        return [.. _labels.Select(l => instruments.OverLimitCounter(l.Name))];
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
