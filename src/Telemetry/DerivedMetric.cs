using System.Collections.Concurrent;
using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// A derived metric while some stage holds it: its prometheus-net family and the label sets it exports, at most
/// <see cref="MaxSeries"/> of them, shared by every isolate of the stages that declare it.
/// </summary>
/// <remarks>
/// The label sets are keyed by a string the caller composes from the rendered label values; known ones are found
/// through a <see cref="ReadOnlySpan{T}"/> lookup, so an event whose label set exists allocates nothing.
/// </remarks>
public sealed class DerivedMetric
{
    private readonly Collector _family;
    private readonly ConcurrentDictionary<string, DerivedSeries> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DerivedSeries>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    // Serializes adding label sets, so the bound holds exactly under concurrent isolates; lookups never take it.
    private readonly Lock _adding = new();

    private volatile int _maxSeries;

    internal DerivedMetric(DerivedMetricShape shape, Collector family)
    {
        Shape = shape;
        _family = family;
        _maxSeries = shape.MaxSeries;
        _bySpan = _series.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public DerivedMetricShape Shape { get; }

    /// <summary>The bound of the stage that acquired it last (a reloaded stage may change it).</summary>
    public int MaxSeries
    {
        get => _maxSeries;
        internal set => _maxSeries = value;
    }

    /// <summary>Label sets exported now.</summary>
    public int SeriesCount => _series.Count;

    public bool TryGet(ReadOnlySpan<char> key, out DerivedSeries series) => _bySpan.TryGetValue(key, out series!);

    /// <summary>
    /// The series of a label set not seen before; null when <see cref="MaxSeries"/> label sets are exported already.
    /// </summary>
    /// <param name="labelValues">One value per label name, in <see cref="DerivedMetricShape.LabelNames"/> order.</param>
    public DerivedSeries? Add(string key, string[] labelValues)
    {
        ArgumentNullException.ThrowIfNull(labelValues);
        lock (_adding)
        {
            if (_series.TryGetValue(key, out var known))
            {
                return known;
            }
            if (_series.Count >= _maxSeries)
            {
                return null;
            }
            DerivedSeries series = _family switch
            {
                Counter counter => new(counter.WithLabels(labelValues), labelValues),
                Histogram histogram => new(histogram.WithLabels(labelValues), labelValues),
                _ => new(((Gauge)_family).WithLabels(labelValues), labelValues),
            };
            _series[key] = series;
            return series;
        }
    }

    /// <summary>No stage holds the metric any more: its series leave the exposition.</summary>
    internal void RemoveAll()
    {
        lock (_adding)
        {
            foreach (var series in _series.Values)
            {
                switch (_family)
                {
                    case Counter counter:
                        counter.RemoveLabelled(series.LabelValues);
                        break;
                    case Histogram histogram:
                        histogram.RemoveLabelled(series.LabelValues);
                        break;
                    default:
                        ((Gauge)_family).RemoveLabelled(series.LabelValues);
                        break;
                }
            }
            _series.Clear();
        }
    }
}
