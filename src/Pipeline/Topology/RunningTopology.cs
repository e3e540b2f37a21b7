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

    private readonly ILogger _logger;
    private readonly DeadLetterWriter _deadLetters;
    private readonly PipelineMetrics _metrics;
    private readonly PipelineTracing _tracing;
    private readonly TopologyRates _rates;
    private readonly Action _updateGauges;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lifecycle = new();
    private readonly TaskCompletionSource _injectionFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The wiring a reload replaces. Readers (snapshots, gauges, readiness) take the arrays as they are; every change
    // is made under _wiring, a new array at a time.
    private readonly Lock _wiring = new();
    private volatile PipelineConfig _config;
    private volatile SupervisedSource[] _sources;
    private volatile IsolatePool[] _pools;
    private volatile WiredEdges _edges;

    // Guarded by _wiring. The pools each running producer (a source or a pool instance) feeds: when it finishes they
    // lose an upstream. A producer that finished is in _finishedProducers and feeds nothing any more.
    private readonly Dictionary<object, List<IsolatePool>> _consumersOf;
    private readonly HashSet<object> _finishedProducers = [];

    // Guarded by _wiring: pools a reload took out that are still draining, so a stop counts what they hold.
    private readonly List<IsolatePool> _retiring = [];

    // Guarded by _wiring: each started source's own stop, so a reload can stop one source as a shutdown stops them all.
    private readonly Dictionary<SupervisedSource, CancellationTokenSource> _sourceStops = [];

    // Guarded by _wiring: what must finish before the topology has drained; a reload adds to it.
    private readonly List<Task> _finishing = [];
    private long _finishingAdded;
    private bool _everythingFinishedSeen;

    private MemoryLimiter? _memoryLimiter;
    private Task _everythingFinished = Task.CompletedTask;
    private Task<ShutdownReport>? _stop;
    private bool _started;

    private RunningTopology(
        PipelineConfig config,
        PipelineMetrics metrics,
        ILogger logger,
        PipelineTracing tracing,
        DeadLetterWriter deadLetters,
        SupervisedSource[] sources,
        IsolatePool[] pools,
        WiredEdges edges,
        Dictionary<object, List<IsolatePool>> consumersOf)
    {
        _config = config;
        _metrics = metrics;
        _tracing = tracing;
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

    /// <summary>Started, not stopping or finished, no stage has failed, and every source that receives requests listens.</summary>
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
            foreach (var source in _sources)
            {
                if (!source.IsListeningOrNeedNot)
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

    /// <summary>"component: reason" of the first dead-letter record this topology wrote; null before one.</summary>
    public string? FirstDeadLetterReason => _deadLetters.FirstReason;

    public string DeadLetterPath => _deadLetters.Path;

    /// <summary>
    /// Events in (what the sources read, the ones they could not decode included), delivered (sink writes: an event
    /// fanned out to two sinks counts twice) and dead-lettered, so far: the run's progress and final count.
    /// </summary>
    public EventTotals Totals()
    {
        long received = 0, delivered = 0;
        foreach (var source in _sources)
        {
            // A line a source could not decode was never received as an event, but it came in and went to the dead-letter file.
            received += (long)source.Counters.Metrics.Received.Value + (long)source.Counters.Metrics.DeadLettered.Value;
        }
        foreach (var pool in _pools.Where(p => p.Kind == ComponentKind.Sink))
        {
            delivered += (long)pool.Counters.Metrics.Sent.Value;
        }
        return new EventTotals(received, delivered, _deadLetters.Written);
    }

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
        int startedPools = 0, startedSources = 0;
        var pools = _pools;
        var sources = _sources;
        foreach (var pool in pools)
        {
            // Pools start before any source, so an unstarted pool has nothing in its mailboxes: its completion (already
            // complete before Start) releases its consumers like a finished pool's.
            if (!ct.IsCancellationRequested)
            {
                pool.Start(_hardStop.Token);
                startedPools++;
            }
            Track(ThenReleaseConsumersAsync(pool, pool.Id, pool.Completion));
        }
        foreach (var source in sources)
        {
            if (!startSources)
            {
                Track(ThenReleaseConsumersAsync(source, source.Id, _injectionFinished.Task));
                continue;
            }
            if (ct.IsCancellationRequested)
            {
                Track(ThenReleaseConsumersAsync(source, source.Id, Task.CompletedTask));
                continue;
            }
            startedSources++;
            StartSource(source, _config);
        }
        _everythingFinished = WhenEverythingFinishedAsync();
        _ = _everythingFinished.ContinueWith(
            static (_, state) => ((TaskCompletionSource)state!).TrySetResult(),
            _completion,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        StartedCompletely = startedPools == pools.Length && (startedSources == sources.Length || !startSources);
        if (StartedCompletely)
        {
            // Debug: the host's one "running" line says it to the operator, counted as validate counts.
            _logger.Debug("Pipeline {Pipeline} started: {Sources} sources, {Stages} stages and sinks", _config.Name, sources.Length, pools.Length);
        }
        else
        {
            _logger.Information("Pipeline {Pipeline} start-up interrupted by a stop: {StartedSources} of {Sources} sources and {StartedStages} of {Stages} stages and sinks were started",
                _config.Name, startedSources, sources.Length, startedPools, pools.Length);
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
        var sources = _sources;
        var pools = _pools;
        var nodes = new List<TopologyNode>(sources.Length + pools.Length);
        foreach (var source in sources)
        {
            var m = source.Counters.Metrics;
            nodes.Add(new TopologyNode(
                source.Id, KindLabel(ComponentKind.Source), source.Type, _started && source.HasFinished ? "finished" : "running", 1,
                (long)m.Received.Value, (long)m.Sent.Value, source.Counters.ErrorsTotal, source.Counters.DiscardedTotal, (long)m.DeadLettered.Value, 0));
        }
        foreach (var pool in pools)
        {
            var m = pool.Counters.Metrics;
            var state = pool.IsFailed ? "failed" : _started && pool.Completion.IsCompleted ? "finished" : "running";
            nodes.Add(new TopologyNode(
                pool.Id, KindLabel(pool.Kind), pool.Type, state, pool.IsolateCount,
                (long)m.Received.Value, (long)m.Sent.Value, pool.Counters.ErrorsTotal, pool.Counters.DiscardedTotal, (long)m.DeadLettered.Value,
                pool.MailboxDepth, MailboxCapacity: pool.MailboxCapacity));
        }
        return new TopologySnapshot(_config.Name, IsReady, FailureReason, nodes, _edges.Edges);
    }

    /// <summary>
    /// <see cref="Snapshot"/> with live numbers, for <c>/topology</c>: events/s per node and edge, and the P95 per
    /// stage (processing time) and per sink (ingest-to-delivery latency), both over the last few seconds (see
    /// <see cref="TopologyRates"/>). Reads the latency histograms' buckets from the metrics registry.
    /// </summary>
    public async Task<TopologySnapshot> SnapshotWithRatesAsync(CancellationToken cancellationToken)
    {
        var edges = _edges;
        var snapshot = Snapshot() with { Edges = edges.Edges };
        var buckets = await _metrics.ReadLatencyBucketsAsync(_config.Name, cancellationToken).ConfigureAwait(false);
        var edgeCounts = new long[edges.Counters.Length];
        for (var i = 0; i < edgeCounts.Length; i++)
        {
            edgeCounts[i] = (long)(edges.Counters[i]?.Value ?? 0);
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
        lock (_wiring)
        {
            foreach (var stop in _sourceStops.Values)
            {
                stop.Dispose();
            }
        }
        _reloading.Dispose();
        _stopping.Dispose();
        _hardStop.Dispose();
    }

    private void UpdateGauges()
    {
        foreach (var source in _sources)
        {
            source.Output.PublishEdgeCounts();
        }
        foreach (var pool in EveryPool())
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

    private async Task ThenReleaseConsumersAsync(object producer, string producerId, Task producerFinished)
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
        List<IsolatePool>? consumers;
        lock (_wiring)
        {
            _finishedProducers.Add(producer);
            _consumersOf.Remove(producer, out consumers);
            if (producer is IsolatePool pool)
            {
                _retiring.Remove(pool);
            }
        }
        foreach (var consumer in consumers ?? [])
        {
            consumer.UpstreamFinished();
        }
    }

    /// <summary>Runs a source with its own stop, linked to the topology's, so a reload can stop it alone.</summary>
    private void StartSource(SupervisedSource source, PipelineConfig config)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        lock (_wiring)
        {
            _sourceStops.Add(source, stop);
        }
        var context = new SourceContext(
            source.Id, source.Output, source.Counters, _deadLetters,
            _logger.ForContext(TelemetryNames.StageProperty, source.Id), source.Tracer, stop.Token, _hardStop.Token,
            acknowledgements: config.Components.FirstOrDefault(c => c.Id == source.Id)?.Acknowledgements ?? source.AcknowledgementsByDefault,
            memoryLimiter: _memoryLimiter);
        source.Start(context, stop.Token);
        Track(ThenReleaseConsumersAsync(source, source.Id, source.Run));
    }

    private void Track(Task finishing)
    {
        lock (_wiring)
        {
            _finishing.Add(finishing);
            _finishingAdded++;
        }
    }

    /// <summary>
    /// Completes once everything tracked finished, including what a reload started meanwhile; after that a reload is
    /// refused, so the set cannot grow again.
    /// </summary>
    private async Task WhenEverythingFinishedAsync()
    {
        while (true)
        {
            Task[] finishing;
            long seen;
            lock (_wiring)
            {
                finishing = [.. _finishing];
                seen = _finishingAdded;
            }
            await Task.WhenAll(finishing).ConfigureAwait(false);
            lock (_wiring)
            {
                _finishing.RemoveAll(t => t.IsCompleted);
                if (_finishingAdded == seen)
                {
                    _everythingFinishedSeen = true;
                    return;
                }
            }
        }
    }

    /// <summary>The live pools and those a reload took out that are still draining.</summary>
    private IsolatePool[] EveryPool()
    {
        lock (_wiring)
        {
            return [.. _pools, .. _retiring];
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
        // Each source's own stop too, not only through the link: a linked token hears CancelAsync on a pool thread,
        // and a source's send must be refused from the moment StopAsync returns.
        CancellationTokenSource[] sourceStops;
        lock (_wiring)
        {
            sourceStops = [.. _sourceStops.Values];
        }
        var cancelling = sourceStops.Select(stop => stop.CancelAsync()).Append(_stopping.CancelAsync()).ToArray();
        await Task.WhenAll(cancelling).ConfigureAwait(false);
        // A reload under way sees the stop and gives up; once it is out, the wiring no longer changes.
        await _reloading.WaitAsync().ConfigureAwait(false);
        _reloading.Release();
        // What a reload took out and is still draining counts as much as what runs.
        var everyPool = EveryPool();
        _injectionFinished.TrySetResult();
        var drained = await FinishesWithinAsync(_everythingFinished, timeout).ConfigureAwait(false);
        if (!drained)
        {
            _logger.Warning("Pipeline {Pipeline} did not drain within {Timeout}; cancelling what is left", _config.Name, timeout);
            await _hardStop.CancelAsync().ConfigureAwait(false);
            foreach (var pool in everyPool)
            {
                pool.CompleteMailboxes();
            }
            if (!await FinishesWithinAsync(_everythingFinished, HardStopGrace).ConfigureAwait(false))
            {
                foreach (var pool in everyPool.Where(p => !p.Completion.IsCompleted))
                {
                    _logger.Error("Stage {ComponentId} ignored cancellation and is still running; its mailbox is reported as undrained", pool.Id);
                }
            }
            foreach (var pool in everyPool)
            {
                pool.AbandonLeftovers();
            }
        }
        var undrained = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pool in everyPool)
        {
            var left = pool.Undrained + (pool.Completion.IsCompleted ? 0 : pool.MailboxDepth);
            undrained[pool.Id] = undrained.GetValueOrDefault(pool.Id) + left;
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
