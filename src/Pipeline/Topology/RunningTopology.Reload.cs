using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Telemetry;

namespace Pipeline.Topology;

/// <summary>
/// Reloading: the running topology becomes a new config's while events flow. Unchanged components keep their
/// instances, state and mailboxes; changed ones are replaced, removed ones drained, added ones started.
/// </summary>
/// <remarks>
/// The order is what keeps every accepted event: new pools are started and counted as consumers first; then every
/// output's consumer list is swapped (one array each, read once per send); only then do the pools taken out lose
/// their producers, drain their mailboxes into the new wiring and end. A sender that read an old list just before the
/// swap hands its event to the retired pool's successor (<see cref="IsolatePool.Retire"/>). Sources taken out stop as
/// on shutdown, so their acknowledgements and checkpoints finish.
/// </remarks>
public sealed partial class RunningTopology
{
    // Reloads one at a time; a stop waits for the one under way, which gives up as soon as it sees the stop.
    private readonly SemaphoreSlim _reloading = new(1, 1);

    /// <summary>A stop was asked for, or everything finished: a reload would change nothing.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested || _completion.Task.IsCompleted;

    /// <summary>The config the topology runs now: the one it was built from, or the last reload's.</summary>
    public PipelineConfig Config => _config;

    /// <summary>
    /// Rewires the running topology to <paramref name="next"/>, which the loader validated, as <paramref name="diff"/>
    /// (computed against <see cref="Config"/>) says. False when a stop is in progress or everything already finished:
    /// nothing was changed then. Settings outside the components are not applied (<see cref="TopologyDiff.RestartRequired"/>).
    /// </summary>
    /// <exception cref="ComponentBuildException">A new component failed to build; nothing was changed.</exception>
    public async Task<bool> ApplyAsync(PipelineConfig next, TopologyDiff diff)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(diff);
        await _reloading.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_started || _stopping.IsCancellationRequested)
            {
                return false;
            }
            var built = Build(next, diff);
            if (built is null)
            {
                return false;
            }
            return Rewire(next, diff, built);
        }
        finally
        {
            _reloading.Release();
        }
    }

    /// <summary>The added and changed components, built but not started; null when a stop came meanwhile.</summary>
    private Dictionary<string, object>? Build(PipelineConfig next, TopologyDiff diff)
    {
        var built = new Dictionary<string, object>(StringComparer.Ordinal);
        try
        {
            foreach (var component in next.Components.Where(c => diff.Added.Contains(c.Id) || diff.Changed.Contains(c.Id)))
            {
                built.Add(component.Id, CreateComponent(component, next, _metrics, _logger, _tracing, _deadLetters, _stopping.Token));
            }
            return built;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            Discard(built);
            return null;
        }
        catch
        {
            Discard(built);
            throw;
        }
    }

    private bool Rewire(PipelineConfig next, TopologyDiff diff, Dictionary<string, object> built)
    {
        var oldSources = _sources;
        var oldPools = _pools;
        var sourceById = new Dictionary<string, SupervisedSource>(StringComparer.Ordinal);
        var poolById = new Dictionary<string, IsolatePool>(StringComparer.Ordinal);
        foreach (var component in next.Components)
        {
            switch (built.GetValueOrDefault(component.Id) ?? (object?)oldSources.FirstOrDefault(s => s.Id == component.Id) ?? oldPools.First(p => p.Id == component.Id))
            {
                case SupervisedSource source:
                    sourceById.Add(component.Id, source);
                    break;
                case IsolatePool pool:
                    poolById.Add(component.Id, pool);
                    break;
            }
        }
        var takenOut = diff.Changed.Concat(diff.Removed).ToHashSet(StringComparer.Ordinal);
        var retiringSources = oldSources.Where(s => takenOut.Contains(s.Id)).ToList();
        var retiringPools = oldPools.Where(p => takenOut.Contains(p.Id)).ToList();
        foreach (var replaced in retiringSources.Cast<object>().Concat(retiringPools))
        {
            var id = replaced is SupervisedSource s ? s.Id : ((IsolatePool)replaced).Id;
            object? successor = sourceById.TryGetValue(id, out var source) ? source : poolById.GetValueOrDefault(id);
            if (successor is not null)
            {
                foreach (var output in OutputsOf(successor))
                {
                    if (OutputsOf(replaced).FirstOrDefault(o => o.Name == output.Name) is { } old)
                    {
                        output.ContinueCountFrom(old);
                    }
                }
            }
        }

        // Each output's consumers after the swap. The new config's edges, then the taken-out producers': they drain
        // into whatever now carries their consumers' ids, or into a removed consumer that drains in turn.
        var links = LinksOf(next, sourceById, poolById);
        var wiring = new Dictionary<ComponentOutput, (List<IsolatePool> Consumers, List<MetricCounter?> Edges)>(ReferenceEqualityComparer.Instance);
        var feeds = new Dictionary<object, List<IsolatePool>>(ReferenceEqualityComparer.Instance);
        foreach (var producer in sourceById.Values.Cast<object>().Concat(poolById.Values))
        {
            feeds[producer] = [];
            foreach (var output in OutputsOf(producer))
            {
                wiring[output] = ([], []);
            }
        }
        var counters = new MetricCounter?[links.Count];
        for (var i = 0; i < links.Count; i++)
        {
            var link = links[i];
            counters[i] = link.Output.EdgeTo(link.Consumer) ?? _metrics.ForEdge(next.Name, link.From.ComponentId, link.From.Output, link.ConsumerId);
            Connect(wiring, feeds, link.Producer, link.Output, link.Consumer, counters[i]);
        }
        foreach (var producer in retiringSources.Cast<object>().Concat(retiringPools))
        {
            feeds[producer] = [];
            foreach (var output in OutputsOf(producer))
            {
                wiring[output] = ([], []);
                foreach (var consumer in output.Consumers)
                {
                    var now = poolById.GetValueOrDefault(consumer.Id) ?? consumer;
                    Connect(wiring, feeds, producer, output, now, output.EdgeTo(consumer));
                }
            }
        }

        var lostProducers = new List<IsolatePool>();
        lock (_wiring)
        {
            if (_everythingFinishedSeen)
            {
                Discard(built);
                return false;
            }
            foreach (var (producer, consumers) in feeds)
            {
                if (_finishedProducers.Contains(producer))
                {
                    continue;
                }
                var before = _consumersOf.GetValueOrDefault(producer) ?? [];
                foreach (var consumer in consumers.Where(c => !before.Contains(c)))
                {
                    consumer.AddUpstream();
                }
            }
            foreach (var (producer, before) in _consumersOf)
            {
                var after = feeds.GetValueOrDefault(producer) ?? [];
                lostProducers.AddRange(before.Where(c => !after.Contains(c)));
            }
            _consumersOf.Clear();
            foreach (var (producer, consumers) in feeds.Where(f => !_finishedProducers.Contains(f.Key) && f.Value.Count > 0))
            {
                _consumersOf.Add(producer, consumers);
            }
        }

        // Counted as consumers above, so a new pool is not finished at start for want of producers.
        foreach (var pool in built.Values.OfType<IsolatePool>())
        {
            pool.Start(_hardStop.Token);
            Track(ThenReleaseConsumersAsync(pool, pool.Id, pool.Completion));
        }
        foreach (var pool in retiringPools)
        {
            var successor = poolById.GetValueOrDefault(pool.Id);
            pool.Retire(successor == pool ? null : successor);
        }
        if (retiringPools.Count > 0)
        {
            Track(ThenRemoveUnheldMetricsAsync(retiringPools));
        }
        var wiredEdges = WiredEdges.Of(links, counters);
        foreach (var gone in _edges.Edges.Where(e => !wiredEdges.Edges.Any(n => n.Id == e.Id)))
        {
            _metrics.ForgetEdge(next.Name, gone.From, gone.Output, gone.To);
        }
        lock (_wiring)
        {
            foreach (var (output, (consumers, edges)) in wiring)
            {
                output.ReplaceConsumers(consumers, edges);
            }
            _retiring.AddRange(retiringPools.Where(p => !_finishedProducers.Contains(p)));
            _pools = [.. poolById.Values];
            _sources = [.. sourceById.Values];
            _edges = wiredEdges;
            _config = next;
        }
        // After the swap: the pools taken out (and kept pools that lost an input) drain once no producer feeds them.
        foreach (var consumer in lostProducers)
        {
            consumer.UpstreamFinished();
        }
        foreach (var source in retiringSources)
        {
            CancellationTokenSource? stop;
            lock (_wiring)
            {
                _sourceStops.TryGetValue(source, out stop);
            }
            stop?.Cancel();
        }
        foreach (var source in built.Values.OfType<SupervisedSource>())
        {
            StartSource(source, next);
        }
        return true;
    }

    private static void Connect(
        Dictionary<ComponentOutput, (List<IsolatePool> Consumers, List<MetricCounter?> Edges)> wiring,
        Dictionary<object, List<IsolatePool>> feeds,
        object producer,
        ComponentOutput output,
        IsolatePool consumer,
        MetricCounter? edge)
    {
        var (consumers, edges) = wiring[output];
        if (consumers.Contains(consumer))
        {
            return;
        }
        consumers.Add(consumer);
        edges.Add(edge);
        if (!feeds[producer].Contains(consumer))
        {
            feeds[producer].Add(consumer);
        }
    }

    private static IEnumerable<ComponentOutput> OutputsOf(object producer)
        => producer is SupervisedSource source ? [source.Output] : ((IsolatePool)producer).Outputs;

    /// <summary>Pools built for a reload that will not happen: started with no producer, so they end at once and release what they hold.</summary>
    private void Discard(Dictionary<string, object> built)
    {
        foreach (var pool in built.Values.OfType<IsolatePool>())
        {
            pool.Start(_hardStop.Token);
        }
    }

    /// <summary>
    /// Once the retired stages drained, the metrics that log_to_metric stages declared and the new topology does not
    /// leave /metrics, so a removed stage's series do not linger until a restart.
    /// </summary>
    private async Task ThenRemoveUnheldMetricsAsync(List<IsolatePool> retired)
    {
        try
        {
            await Task.WhenAll(retired.Select(p => p.Completion)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.Error(ex, "A stage taken out by a reload ended with an unexpected error");
        }
        _metrics.Derived.RemoveUnheld();
    }
}
