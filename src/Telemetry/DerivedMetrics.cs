using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The metrics that log_to_metric stages derive, in the service's registry: one family per name, held by the stages
/// that declare it and emptied when a reload takes the last of them out.
/// </summary>
/// <remarks>
/// prometheus-net cannot take a family out of a registry, so a name keeps the type, labels and buckets it was first
/// exported with until the process restarts; what a removed stage leaves is a family without series, which the
/// exposition shows as its HELP and TYPE lines only. Holding by count lets a reloaded stage (the old pool draining
/// while the new one runs) keep counting into the same series, so a reload that keeps a metric does not reset it.
/// </remarks>
public sealed class DerivedMetrics
{
    private readonly MetricFactory _factory;
    private readonly Lock _lock = new();

    // Guarded by _lock: every name ever exported, with the shape prometheus-net holds it in, the live metric and its holders.
    private readonly Dictionary<string, Entry> _byName = new(StringComparer.Ordinal);

    internal DerivedMetrics(CollectorRegistry registry)
    {
        _factory = Metrics.WithCustomRegistry(registry);
        _factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
    }

    /// <summary>The metric of <paramref name="shape"/>'s name, created or shared; release it with <see cref="Release"/>.</summary>
    /// <exception cref="InvalidOperationException">The name is (or was) exported with another type, labels or buckets.</exception>
    public DerivedMetric Acquire(DerivedMetricShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        lock (_lock)
        {
            if (_byName.TryGetValue(shape.Name, out var entry))
            {
                if (!entry.Exported.Matches(shape))
                {
                    throw new InvalidOperationException(
                        $"'{shape.Name}' is already exported as a {entry.Exported.Describe()}, this stage declares a {shape.Describe()}: "
                        + "a metric keeps its type, labels and buckets until the service restarts (restart to apply, or choose another name)");
                }
                if (entry.Live is { } live)
                {
                    // Held, or released by a finished stage and not yet removed: either way its series continue.
                    live.MaxSeries = shape.MaxSeries;
                    entry.Holders++;
                    return live;
                }
            }
            var metric = new DerivedMetric(shape, Create(shape));
            _byName[shape.Name] = new Entry(entry?.Exported ?? shape) { Live = metric, Holders = 1 };
            return metric;
        }
    }

    /// <summary>
    /// A stage that held <paramref name="metric"/> stopped. Its series stay exported: a pipeline whose sources finished
    /// still shows what it counted, and a stage that picks the name up again continues them. A reload that took the
    /// stage out calls <see cref="RemoveUnheld"/> once the stage has drained.
    /// </summary>
    public void Release(DerivedMetric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        lock (_lock)
        {
            if (_byName.TryGetValue(metric.Shape.Name, out var entry) && entry.Live == metric && entry.Holders > 0)
            {
                entry.Holders--;
            }
        }
    }

    /// <summary>Takes the series of every metric no running stage declares out of the exposition.</summary>
    public void RemoveUnheld()
    {
        lock (_lock)
        {
            foreach (var entry in _byName.Values)
            {
                if (entry.Holders == 0 && entry.Live is { } metric)
                {
                    entry.Live = null;
                    metric.RemoveAll();
                }
            }
        }
    }

    private Collector Create(DerivedMetricShape shape)
    {
        string[] labels = [.. shape.LabelNames];
        try
        {
            return shape.Type switch
            {
                DerivedMetricType.Counter => _factory.CreateCounter(shape.Name, shape.Help, labels, new CounterConfiguration { SuppressInitialValue = true }),
                DerivedMetricType.Histogram => _factory.CreateHistogram(shape.Name, shape.Help, labels,
                    new HistogramConfiguration { Buckets = [.. shape.Buckets], SuppressInitialValue = true }),
                _ => _factory.CreateGauge(shape.Name, shape.Help, labels, new GaugeConfiguration { SuppressInitialValue = true }),
            };
        }
        catch (InvalidOperationException e)
        {
            // Another metric of the registry (the runtime's process_* and dotnet_* ones) has the name.
            throw new InvalidOperationException($"'{shape.Name}' is the name of a metric the service exports already: choose another name ({e.Message})", e);
        }
    }

    private sealed class Entry(DerivedMetricShape exported)
    {
        public DerivedMetricShape Exported { get; } = exported;

        public DerivedMetric? Live { get; set; }

        public int Holders { get; set; }
    }
}
