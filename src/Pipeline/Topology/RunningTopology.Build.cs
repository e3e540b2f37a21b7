using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Topology;

/// <summary>Building: components from their configs, and the edges between them.</summary>
public sealed partial class RunningTopology
{
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
        var sourceById = new Dictionary<string, SupervisedSource>(StringComparer.Ordinal);
        var poolById = new Dictionary<string, IsolatePool>(StringComparer.Ordinal);
        foreach (var component in config.Components)
        {
            stopping.ThrowIfCancellationRequested();
            switch (CreateComponent(component, config, metrics, logger, tracing, deadLetters, stopping))
            {
                case SupervisedSource source:
                    sourceById.Add(component.Id, source);
                    break;
                case IsolatePool pool:
                    poolById.Add(component.Id, pool);
                    break;
            }
        }

        var links = LinksOf(config, sourceById, poolById);
        var consumersOf = new Dictionary<object, List<IsolatePool>>();
        var counters = new MetricCounter?[links.Count];
        for (var i = 0; i < links.Count; i++)
        {
            var link = links[i];
            counters[i] = metrics.ForEdge(config.Name, link.From.ComponentId, link.From.Output, link.ConsumerId);
            link.Output.AddConsumer(link.Consumer, counters[i]);
            if (!consumersOf.TryGetValue(link.Producer, out var consumers))
            {
                consumersOf.Add(link.Producer, consumers = []);
            }
            if (!consumers.Contains(link.Consumer))
            {
                consumers.Add(link.Consumer);
                link.Consumer.AddUpstream();
            }
        }
        return new RunningTopology(
            config, metrics, logger, tracing, deadLetters, [.. sourceById.Values], [.. poolById.Values], WiredEdges.Of(links, counters), consumersOf)
        {
            _memoryLimiter = memoryLimiter,
        };
    }

    /// <summary>A source or an isolate pool for <paramref name="component"/>, built but not started.</summary>
    private static object CreateComponent(
        ComponentConfig component, PipelineConfig config, PipelineMetrics metrics, ILogger logger, PipelineTracing tracing, DeadLetterWriter deadLetters,
        CancellationToken stopping)
    {
        var counters = new ComponentCounters(metrics.ForComponent(config.Name, component.Id, KindLabel(component.Kind)));
        return component.Kind switch
        {
            ComponentKind.Source => new SupervisedSource(
                component.Id,
                component.Type,
                FactoryOf<ISourceFactory>(component),
                new RetryBackoff(component.Stage.RetryBackoff),
                component.Stage.RestartWindow,
                counters,
                new ComponentOutput(name: null),
                logger.ForContext(TelemetryNames.StageProperty, component.Id),
                tracing.ForSource(component.Id, component.Type, FactoryOf<ISourceFactory>(component).ReceivesRequests, FactoryOf<ISourceFactory>(component).ConsumesMessages)),
            ComponentKind.Processor => IsolatePool.ForProcessor(
                component.Id, component.Type, component.Stage, FactoryOf<IProcessorFactory>(component), counters, deadLetters, logger, tracing: tracing,
                building: stopping),
            _ => IsolatePool.ForSink(
                component.Id, component.Type, component.Stage, FactoryOf<ISinkFactory>(component), counters, deadLetters, logger, tracing: tracing,
                dataDirectory: config.DataDirectory, building: stopping),
        };
    }

    /// <summary>Every edge of <paramref name="config"/> between the given instances, once per output and consumer, in file order.</summary>
    private static List<TopologyLink> LinksOf(PipelineConfig config, IReadOnlyDictionary<string, SupervisedSource> sources, IReadOnlyDictionary<string, IsolatePool> pools)
    {
        var links = new List<TopologyLink>();
        foreach (var component in config.Components)
        {
            if (component.Kind == ComponentKind.Source)
            {
                continue;
            }
            var consumer = pools[component.Id];
            foreach (var input in component.Inputs)
            {
                var (producer, output) = OutputOf(input, sources, pools);
                if (!links.Exists(l => l.Output == output && l.Consumer == consumer))
                {
                    links.Add(new TopologyLink(producer, output, input, consumer, component.Id));
                }
            }
        }
        return links;
    }

    private static T FactoryOf<T>(ComponentConfig component)
        where T : class
        => component.Factory as T ?? throw new InvalidOperationException(
            $"{component.Mark}: component '{component.Id}' of type '{component.Type}' needs an {typeof(T).Name}, found {component.Factory?.GetType().Name ?? "null"}");

    /// <summary>
    /// The output an input names. The loader checked every graph rule (TopologyValidator); this is only the lookup, and
    /// a reference that does not resolve means the config was made without the loader.
    /// </summary>
    private static (object Producer, ComponentOutput Output) OutputOf(
        InputReference input, IReadOnlyDictionary<string, SupervisedSource> sources, IReadOnlyDictionary<string, IsolatePool> pools)
    {
        if (sources.TryGetValue(input.ComponentId, out var source) && input.Output is null)
        {
            return (source, source.Output);
        }
        if (pools.TryGetValue(input.ComponentId, out var pool))
        {
            foreach (var output in pool.Outputs)
            {
                if (output.Name == input.Output)
                {
                    return (pool, output);
                }
            }
        }
        throw new InvalidOperationException($"{input.Mark}: input '{input.Text}' names no output; configs must come from ConfigLoader, which validates the graph");
    }

    /// <summary>The sampler <c>telemetry.traces</c> asks for, without the environment (the service host resolves both).</summary>
    private static TraceSampler SamplerFromYaml(PipelineConfig config)
        => TracingConfiguration.Resolve(config.Traces.ToTracingOptions(), _ => null, [])?.Sampler
            ?? throw new InvalidOperationException($"{config.File}: telemetry.traces does not resolve; configs must come from ConfigLoader, which validates it");
}
