using Elastic.Transport;
using Pipeline.Components;
using Pipeline.Security;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// The elasticsearch sink's build result: per isolate its own body, templates and document writer; for the whole
/// sink one <see cref="ElasticsearchBulkClient"/> (the node pool and its connections), made when the sink starts and
/// closed when it stops, so that <c>validate</c>, which only builds, connects to nothing and polls no tls file.
/// </summary>
internal sealed class ElasticsearchSinkFactory(
    IReadOnlyList<Uri> endpoints,
    AuthorizationHeader? authorization,
    ClientTlsSettings? tls,
    bool gzip,
    TimeSpan timeout,
    string componentId,
    Func<ElasticsearchBulkBody> newBody) : ISinkFactory, ISharedStageState
{
    // Set by Start, before the runtime makes any instance; a sink made outside a topology (a test) makes it on first use.
    private ElasticsearchBulkClient? _client;
    private Serilog.ILogger _logger = Serilog.Log.Logger;

    public bool DeliversOverNetwork => true;

    public void Start(StageRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _logger = runtime.Logger;
        _client ??= Connect();
    }

    public ISink CreateForIsolate(int isolateIndex) => new ElasticsearchSink(_client ??= Connect(), newBody(), endpoints);

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _client = null;
        return ValueTask.CompletedTask;
    }

    private ElasticsearchBulkClient Connect() => new(endpoints, authorization, tls, gzip, timeout, _logger, componentId);
}
