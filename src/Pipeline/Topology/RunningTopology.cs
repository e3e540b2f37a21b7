using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Topology;

/// <summary>
/// A validated <see cref="PipelineConfig"/> wired into sources and isolate pools, and its life: start, run until
/// the sources finish or a stop is asked for, and drain on the way out. It knows nothing of any component's insides.
/// </summary>
/// <remarks>
/// Shutdown completes mailboxes in topological order: a pool's mailboxes complete once every component feeding it
/// has finished (a source returned, an upstream pool drained), so each isolate drains what it was given and then
/// ends, and the sinks flush last. Nothing accepted is dropped on a graceful stop.
/// </remarks>
public sealed partial class RunningTopology : IAsyncDisposable
{
    /// <summary>After the shutdown timeout, how long stopped isolates get to notice the cancellation.</summary>
    private static readonly TimeSpan HardStopGrace = TimeSpan.FromSeconds(5);

    private readonly PipelineConfig _config;
    private readonly ILogger _logger;
    private readonly DeadLetterWriter _deadLetters;
    private readonly IReadOnlyList<SupervisedSource> _sources;
    private readonly IReadOnlyList<IsolatePool> _pools;
    private readonly IReadOnlyList<TopologyEdge> _edges;
    private readonly IReadOnlyList<MetricCounter> _edgeCounters;
    private readonly PipelineMetrics _metrics;
    private readonly TopologyRates _rates;
    private readonly Action _updateGauges;
    private readonly Dictionary<string, List<IsolatePool>> _consumersOf;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lifecycle = new();
    private readonly TaskCompletionSource _injectionFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MemoryLimiter? _memoryLimiter;
    private Task _everythingFinished = Task.CompletedTask;
    private Task<ShutdownReport>? _stop;
    private bool _started;

    private RunningTopology(
        PipelineConfig config,
        PipelineMetrics metrics,
        ILogger logger,
        DeadLetterWriter deadLetters,
        IReadOnlyList<SupervisedSource> sources,
        IReadOnlyList<IsolatePool> pools,
        IReadOnlyList<TopologyEdge> edges,
        IReadOnlyList<MetricCounter> edgeCounters,
        Dictionary<string, List<IsolatePool>> consumersOf)
    {
        _config = config;
        _metrics = metrics;
        _edgeCounters = edgeCounters;
        _rates = new TopologyRates();
        _updateGauges = UpdateGauges;
        metrics.AddScrapeProbe(_updateGauges);
        _logger = logger;
        _deadLetters = deadLetters;
        _sources = sources;
        _pools = pools;
        _edges = edges;
        _consumersOf = consumersOf;
    }

    /// <summary>
    /// Completes when every source returned on its own (stdin hit EOF, a generator sent its count) and everything
    /// drained, or when <see cref="StopAsync"/> finished.
    /// </summary>
    public Task Completion => _completion.Task;

    /// <summary>The pipeline's name: the <c>pipeline</c> label of its metrics.</summary>
    public string PipelineName => _config.Name;

    /// <summary>Started, not stopping or finished, and no stage has failed.</summary>
    public bool IsReady
    {
        get
        {
            if (!_started || _stopping.IsCancellationRequested || _completion.Task.IsCompleted)
            {
                return false;
            }
            foreach (var pool in _pools)
            {
                if (pool.IsFailed)
                {
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>Why the topology is not healthy (the first failed stage), or null.</summary>
    public string? FailureReason
    {
        get
        {
            foreach (var pool in _pools)
            {
                if (pool.FailureReason is { } reason)
                {
                    return $"stage '{pool.Id}' failed: {reason}";
                }
            }
            return null;
        }
    }

    public static RunningTopology Build(PipelineConfig config, PipelineMetrics metrics, ILogger logger)
        => Build(config, metrics, logger, tracing: null);

    /// <param name="tracing">
    /// The pipeline's tracing (the service host resolves it from YAML and the OTEL_* variables); null takes the
    /// sampler from the config's <c>telemetry.traces</c> alone. Spans are recorded only if a tracer provider listens.
    /// </param>
    /// <param name="memoryLimiter">The process's memory limiter, which every source's sends consult; null for none.</param>
    /// <param name="stopping">
    /// A stop requested while the topology is built (SIGTERM during start-up): building ends between two components or
    /// two isolates with <see cref="OperationCanceledException"/>. Nothing has started then, so nothing needs draining.
    /// </param>
    public static RunningTopology Build(
        PipelineConfig config, PipelineMetrics metrics, ILogger logger, PipelineTracing? tracing, MemoryLimiter? memoryLimiter = null, CancellationToken stopping = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        tracing ??= new PipelineTracing(config.Name, SamplerFromYaml(config));
        var deadLetters = new DeadLetterWriter(config.ResolvedDeadLetterPath, config.Name, logger);
        var sources = new List<SupervisedSource>();
        var pools = new List<IsolatePool>();
        var sourceById = new Dictionary<string, SupervisedSource>(StringComparer.Ordinal);
        var poolById = new Dictionary<string, IsolatePool>(StringComparer.Ordinal);
        foreach (var component in config.Components)
        {
            stopping.ThrowIfCancellationRequested();
            var counters = new ComponentCounters(metrics.ForComponent(config.Name, component.Id, KindLabel(component.Kind)));
            switch (component.Kind)
            {
                case ComponentKind.Source:
                    var source = new SupervisedSource(
                        component.Id,
                        component.Type,
                        FactoryOf<ISourceFactory>(component),
                        new RetryBackoff(component.Stage.RetryBackoff),
                        component.Stage.RestartWindow,
                        counters,
                        new ComponentOutput(name: null),
                        logger.ForContext(TelemetryNames.StageProperty, component.Id),
                        tracing.ForSource(component.Id, component.Type, FactoryOf<ISourceFactory>(component).ReceivesRequests));
                    sources.Add(source);
                    sourceById.Add(component.Id, source);
                    break;
                case ComponentKind.Processor:
                    var stage = IsolatePool.ForProcessor(
                        component.Id, component.Type, component.Stage, FactoryOf<IProcessorFactory>(component), counters, deadLetters, logger, tracing: tracing,
                        building: stopping);
                    pools.Add(stage);
                    poolById.Add(component.Id, stage);
                    break;
                default:
                    var sink = IsolatePool.ForSink(
                        component.Id, component.Type, component.Stage, FactoryOf<ISinkFactory>(component), counters, deadLetters, logger, tracing: tracing,
                        dataDirectory: config.DataDirectory, building: stopping);
                    pools.Add(sink);
                    poolById.Add(component.Id, sink);
                    break;
            }
        }

        var edges = new List<TopologyEdge>();
        var edgeCounters = new List<MetricCounter>();
        var consumersOf = new Dictionary<string, List<IsolatePool>>(StringComparer.Ordinal);
        foreach (var component in config.Components)
        {
            if (component.Kind == ComponentKind.Source)
            {
                continue;
            }
            var consumer = poolById[component.Id];
            foreach (var input in component.Inputs)
            {
                var output = OutputOf(input, sourceById, poolById);
                if (output.Consumers.Contains(consumer))
                {
                    continue;
                }
                var edgeCounter = metrics.ForEdge(config.Name, input.ComponentId, input.Output, component.Id);
                output.AddConsumer(consumer, edgeCounter);
                edges.Add(new TopologyEdge(input.ComponentId, input.Output, component.Id));
                edgeCounters.Add(edgeCounter);
                if (!consumersOf.TryGetValue(input.ComponentId, out var consumers))
                {
                    consumersOf.Add(input.ComponentId, consumers = []);
                }
                if (!consumers.Contains(consumer))
                {
                    consumers.Add(consumer);
                    consumer.AddUpstream();
                }
            }
        }
        return new RunningTopology(config, metrics, logger, deadLetters, sources, pools, edges, edgeCounters, consumersOf) { _memoryLimiter = memoryLimiter };
    }

    /// <summary>
    /// Starts every isolate, then every source. A stop requested on <paramref name="ct"/> meanwhile ends starting
    /// early: what was started is stopped and drained by <see cref="StopAsync"/> as usual, and what was not counts as
    /// finished, so its consumers drain too. <see cref="StartedCompletely"/> says which it was.
    /// </summary>
    public Task StartAsync(CancellationToken ct) => StartCoreAsync(startSources: true, ct);

    /// <summary>False when a stop arrived while <see cref="StartAsync"/> ran and some pool or source was left unstarted.</summary>
    public bool StartedCompletely { get; private set; }

    /// <summary>
    /// Starts every isolate but no source, to re-inject events (<c>pipeline dead-letter replay</c>): hand them in with
    /// <see cref="InjectAsync"/>, then call <see cref="FinishInjecting"/>; <see cref="Completion"/> completes once
    /// everything drained through to the sinks, as when the sources finish.
    /// </summary>
    public Task StartForInjectionAsync(CancellationToken ct) => StartCoreAsync(startSources: false, ct);

    /// <summary>Dead-letter records this topology has written.</summary>
    public long DeadLettersWritten => _deadLetters.Written;

    /// <summary>True when <paramref name="componentId"/> is a stage or sink events can be injected into.</summary>
    public bool CanInject(string componentId) => _pools.Any(p => p.Id == componentId);

    /// <summary>Hands an envelope to a stage or sink as its own inputs would, waiting for room; the pool owns it afterwards.</summary>
    internal ValueTask InjectAsync(string componentId, in Envelope envelope)
    {
        var pool = _pools.First(p => p.Id == componentId);
        return pool.AdmitAsync(pool.Route(envelope.Event), envelope, _hardStop.Token);
    }

    /// <summary>Nothing more will be injected: the stages drain as if every source had finished.</summary>
    public void FinishInjecting() => _injectionFinished.TrySetResult();

    private Task StartCoreAsync(bool startSources, CancellationToken ct)
    {
        // For a service, a token cancelled already starts nothing but still marks the topology started, so StopAsync
        // reports as usual; a replay injects into what it starts, so it must not go on with nothing started.
        if (!startSources)
        {
            ct.ThrowIfCancellationRequested();
        }
        lock (_lifecycle)
        {
            if (_started || _stop is not null)
            {
                throw new InvalidOperationException("a topology starts once");
            }
            _started = true;
        }
        var finished = new List<Task>(_pools.Count + _sources.Count);
        int startedPools = 0, startedSources = 0;
        foreach (var pool in _pools)
        {
            // Pools start before any source, so an unstarted pool has nothing in its mailboxes: its completion (already
            // complete before Start) releases its consumers like a finished pool's.
            if (!ct.IsCancellationRequested)
            {
                pool.Start(_hardStop.Token);
                startedPools++;
            }
            finished.Add(ThenReleaseConsumersAsync(pool.Id, pool.Completion));
        }
        foreach (var source in _sources)
        {
            if (!startSources)
            {
                finished.Add(ThenReleaseConsumersAsync(source.Id, _injectionFinished.Task));
                continue;
            }
            if (ct.IsCancellationRequested)
            {
                finished.Add(ThenReleaseConsumersAsync(source.Id, Task.CompletedTask));
                continue;
            }
            startedSources++;
            var context = new SourceContext(
                source.Id, source.Output, source.Counters, _deadLetters,
                _logger.ForContext(TelemetryNames.StageProperty, source.Id), source.Tracer, _stopping.Token, _hardStop.Token,
                acknowledgements: _config.Components.FirstOrDefault(c => c.Id == source.Id)?.Acknowledgements ?? source.AcknowledgementsByDefault,
                memoryLimiter: _memoryLimiter);
            source.Start(context, _stopping.Token);
            finished.Add(ThenReleaseConsumersAsync(source.Id, source.Run));
        }
        _everythingFinished = Task.WhenAll(finished);
        _ = _everythingFinished.ContinueWith(
            static (_, state) => ((TaskCompletionSource)state!).TrySetResult(),
            _completion,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        StartedCompletely = startedPools == _pools.Count && (startedSources == _sources.Count || !startSources);
        if (StartedCompletely)
        {
            _logger.Information("Pipeline {Pipeline} started: {Sources} sources, {Stages} stages and sinks", _config.Name, _sources.Count, _pools.Count);
        }
        else
        {
            _logger.Information("Pipeline {Pipeline} start-up interrupted by a stop: {StartedSources} of {Sources} sources and {StartedStages} of {Stages} stages and sinks were started",
                _config.Name, startedSources, _sources.Count, startedPools, _pools.Count);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Graceful stop: the sources stop, every mailbox drains through to the sinks, the sinks flush and are disposed.
    /// If <paramref name="timeout"/> runs out first, the rest is cancelled and what was left is counted per stage
    /// and dead-lettered. Calling it again returns the same report.
    /// </summary>
    public Task<ShutdownReport> StopAsync(TimeSpan timeout)
    {
        lock (_lifecycle)
        {
            return _stop ??= StopCoreAsync(timeout);
        }
    }

    /// <summary>The nodes and edges with their counters now, for <c>/topology</c>.</summary>
    public TopologySnapshot Snapshot()
    {
        var nodes = new List<TopologyNode>(_sources.Count + _pools.Count);
        foreach (var source in _sources)
        {
            var m = source.Counters.Metrics;
            nodes.Add(new TopologyNode(
                source.Id, KindLabel(ComponentKind.Source), source.Type, _started && source.HasFinished ? "finished" : "running", 1,
                (long)m.Received.Value, (long)m.Sent.Value, source.Counters.ErrorsTotal, source.Counters.DiscardedTotal, (long)m.DeadLettered.Value, 0));
        }
        foreach (var pool in _pools)
        {
            var m = pool.Counters.Metrics;
            var state = pool.IsFailed ? "failed" : _started && pool.Completion.IsCompleted ? "finished" : "running";
            nodes.Add(new TopologyNode(
                pool.Id, KindLabel(pool.Kind), pool.Type, state, pool.IsolateCount,
                (long)m.Received.Value, (long)m.Sent.Value, pool.Counters.ErrorsTotal, pool.Counters.DiscardedTotal, (long)m.DeadLettered.Value,
                pool.MailboxDepth, MailboxCapacity: pool.MailboxCapacity));
        }
        return new TopologySnapshot(_config.Name, IsReady, FailureReason, nodes, _edges);
    }

    /// <summary>
    /// <see cref="Snapshot"/> with live numbers, for <c>/topology</c>: events/s per node and edge, and the P95 per
    /// stage (processing time) and per sink (ingest-to-delivery latency), both over the last few seconds (see
    /// <see cref="TopologyRates"/>). Reads the latency histograms' buckets from the metrics registry.
    /// </summary>
    public async Task<TopologySnapshot> SnapshotWithRatesAsync(CancellationToken cancellationToken)
    {
        var snapshot = Snapshot();
        var buckets = await _metrics.ReadLatencyBucketsAsync(_config.Name, cancellationToken).ConfigureAwait(false);
        var edgeCounts = new long[_edgeCounters.Count];
        for (var i = 0; i < edgeCounts.Length; i++)
        {
            edgeCounts[i] = (long)_edgeCounters[i].Value;
        }
        return _rates.Apply(snapshot, edgeCounts, buckets);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_config.ShutdownTimeout).ConfigureAwait(false);
        // One last update, so the latency observations not yet collected are in the histograms.
        UpdateGauges();
        _metrics.RemoveScrapeProbe(_updateGauges);
        _deadLetters.Dispose();
        _stopping.Dispose();
        _hardStop.Dispose();
    }

    private void UpdateGauges()
    {
        foreach (var source in _sources)
        {
            source.Output.PublishEdgeCounts();
        }
        foreach (var pool in _pools)
        {
            pool.UpdateGauges();
            foreach (var output in pool.Outputs)
            {
                output.PublishEdgeCounts();
            }
        }
    }

    internal static string KindLabel(ComponentKind kind) => kind switch
    {
        ComponentKind.Source => "source",
        ComponentKind.Processor => "processor",
        _ => "sink",
    };

    private static T FactoryOf<T>(ComponentConfig component)
        where T : class
        => component.Factory as T ?? throw new InvalidOperationException(
            $"{component.Mark}: component '{component.Id}' of type '{component.Type}' needs an {typeof(T).Name}, found {component.Factory?.GetType().Name ?? "null"}");

    /// <summary>
    /// The output an input names. The loader checked every graph rule (TopologyValidator); this is only the lookup, and
    /// a reference that does not resolve means the config was made without the loader.
    /// </summary>
    private static ComponentOutput OutputOf(InputReference input, Dictionary<string, SupervisedSource> sources, Dictionary<string, IsolatePool> pools)
    {
        if (sources.TryGetValue(input.ComponentId, out var source) && input.Output is null)
        {
            return source.Output;
        }
        if (pools.TryGetValue(input.ComponentId, out var pool))
        {
            foreach (var output in pool.Outputs)
            {
                if (output.Name == input.Output)
                {
                    return output;
                }
            }
        }
        throw new InvalidOperationException($"{input.Mark}: input '{input.Text}' names no output; configs must come from ConfigLoader, which validates the graph");
    }

    /// <summary>The sampler <c>telemetry.traces</c> asks for, without the environment (the service host resolves both).</summary>
    private static TraceSampler SamplerFromYaml(PipelineConfig config)
        => TracingConfiguration.Resolve(config.Traces.ToTracingOptions(), _ => null, [])?.Sampler
            ?? throw new InvalidOperationException($"{config.File}: telemetry.traces does not resolve; configs must come from ConfigLoader, which validates it");

    private async Task ThenReleaseConsumersAsync(string producerId, Task producerFinished)
    {
        try
        {
            await producerFinished.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Sources and supervisors catch everything themselves; this only keeps a bug from stalling shutdown.
            _logger.Error(ex, "{ComponentId} ended with an unexpected error", producerId);
        }
        if (_consumersOf.TryGetValue(producerId, out var consumers))
        {
            foreach (var consumer in consumers)
            {
                consumer.UpstreamFinished();
            }
        }
    }

    private async Task<ShutdownReport> StopCoreAsync(TimeSpan timeout)
    {
        if (!_started)
        {
            _completion.TrySetResult();
            return new ShutdownReport(true, _pools.ToDictionary(p => p.Id, _ => 0L), _deadLetters.Written);
        }
        _logger.Information("Pipeline {Pipeline} stopping: draining every stage within {Timeout}", _config.Name, timeout);
        await _stopping.CancelAsync().ConfigureAwait(false);
        _injectionFinished.TrySetResult();
        var drained = await FinishesWithinAsync(_everythingFinished, timeout).ConfigureAwait(false);
        if (!drained)
        {
            _logger.Warning("Pipeline {Pipeline} did not drain within {Timeout}; cancelling what is left", _config.Name, timeout);
            await _hardStop.CancelAsync().ConfigureAwait(false);
            foreach (var pool in _pools)
            {
                pool.CompleteMailboxes();
            }
            if (!await FinishesWithinAsync(_everythingFinished, HardStopGrace).ConfigureAwait(false))
            {
                foreach (var pool in _pools.Where(p => !p.Completion.IsCompleted))
                {
                    _logger.Error("Stage {ComponentId} ignored cancellation and is still running; its mailbox is reported as undrained", pool.Id);
                }
            }
            foreach (var pool in _pools)
            {
                pool.AbandonLeftovers();
            }
        }
        var undrained = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pool in _pools)
        {
            var left = pool.Undrained + (pool.Completion.IsCompleted ? 0 : pool.MailboxDepth);
            undrained[pool.Id] = left;
            drained &= left == 0;
        }
        var report = new ShutdownReport(drained, undrained, _deadLetters.Written);
        if (drained)
        {
            _logger.Information("Pipeline {Pipeline} stopped: everything drained; {DeadLettered} events dead-lettered in total", _config.Name, report.DeadLettered);
        }
        else
        {
            _logger.Warning("Pipeline {Pipeline} stopped with undrained events {@Undrained}; {DeadLettered} events dead-lettered in total",
                _config.Name, undrained.Where(u => u.Value > 0).ToDictionary(), report.DeadLettered);
        }
        _completion.TrySetResult();
        return report;
    }

    private static async Task<bool> FinishesWithinAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
