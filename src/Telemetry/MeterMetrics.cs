using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// Publishes the .NET meters of the libraries the service runs on (Kestrel, ASP.NET Core hosting and routing, the
/// HTTP client, the OpenTelemetry SDK) on a prometheus-net registry, typed and named as the OpenTelemetry
/// specification maps metrics to Prometheus: counters are counters ending in <c>_total</c>, histograms are
/// histograms, the unit is a suffix (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>), and the name is the
/// instrument's own (<c>aspnetcore.routing.match_attempts</c> → <c>aspnetcore_routing_match_attempts_total</c>).
/// </summary>
/// <remarks>
/// Why by hand: prometheus-net's own Meter adapter exports every .NET counter as a gauge on purpose (a re-created
/// instrument could go backwards), so <c>rate()</c> cannot be used on them, and it prefixes the meter's name to the
/// instrument's (<c>microsoft_aspnetcore_routing_aspnetcore_routing_match_attempts</c>). OpenTelemetry's Prometheus
/// exporter names them right but serves its own endpoint beside prometheus-net's, a second metrics stack. This
/// listener is the small part of both that is needed. Observable counters use <c>IncTo</c>, so a re-created
/// instrument that restarts from zero leaves the series flat rather than decreasing it.
/// </remarks>
public sealed class MeterMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly Func<Instrument, bool> _include;
    private readonly ConcurrentDictionary<string, PublishedInstrument> _byName = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    private MeterMetrics(CollectorRegistry registry, Func<Instrument, bool> include)
    {
        _include = include;
        var factory = Metrics.WithCustomRegistry(registry);
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _factory = factory;
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<byte>(OnMeasurement);
        _listener.SetMeasurementEventCallback<short>(OnMeasurement);
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<float>(OnMeasurement);
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.SetMeasurementEventCallback<decimal>(OnMeasurement);
        registry.AddBeforeCollectCallback(() =>
        {
            // A registry cannot drop a callback; after disposal this one does nothing.
            if (!_disposed)
            {
                _listener.RecordObservableInstruments();
            }
        });
        _listener.Start();
    }

    /// <summary>
    /// Listens to every meter except the runtime's own (<c>System.Runtime</c>, which <see cref="RuntimeMetrics"/>
    /// covers under its established names), or those <paramref name="include"/> selects, and publishes them on
    /// <paramref name="registry"/> until disposed.
    /// </summary>
    public static MeterMetrics Start(CollectorRegistry registry, Func<Instrument, bool>? include = null) =>
        new(registry, include ?? (instrument => instrument.Meter.Name != "System.Runtime"));

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }

    /// <summary>The Prometheus name an instrument of <paramref name="kind"/> is published under.</summary>
    public static string PrometheusName(string instrumentName, string? unit, InstrumentKind kind)
    {
        var name = new StringBuilder(instrumentName.Length + 16);
        foreach (var c in instrumentName)
        {
            var valid = char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':';
            // Runs of separators ('.', '-', '/') become one underscore.
            if (!valid && name.Length > 0 && name[^1] == '_')
            {
                continue;
            }
            name.Append(valid ? c : '_');
        }
        if (name.Length > 0 && char.IsAsciiDigit(name[0]))
        {
            name.Insert(0, '_');
        }
        var suffix = UnitSuffix(unit, kind);
        if (suffix is not null && !EndsWith(name, "_" + suffix))
        {
            name.Append('_').Append(suffix);
        }
        if (kind == InstrumentKind.Counter && !EndsWith(name, "_total"))
        {
            name.Append("_total");
        }
        return name.ToString();
    }

    private static bool EndsWith(StringBuilder name, string suffix) =>
        name.Length >= suffix.Length && name.ToString(name.Length - suffix.Length, suffix.Length) == suffix;

    // The units the .NET libraries use, mapped as OpenTelemetry's Prometheus compatibility rules do; annotations in
    // braces ("{request}") are dropped, "1" is a ratio only for gauges.
    private static string? UnitSuffix(string? unit, InstrumentKind kind) => unit switch
    {
        null or "" => null,
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "1" => kind == InstrumentKind.Gauge ? "ratio" : null,
        _ when unit.StartsWith('{') => null,
        _ => string.Concat(unit.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')),
    };

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_include(instrument))
        {
            return;
        }
        var kind = KindOf(instrument);
        if (kind is null)
        {
            return;
        }
        var name = PrometheusName(instrument.Name, instrument.Unit, kind.Value);
        // Two meters may publish an instrument of one name (a library and its instrumentation package); the first
        // one's kind decides, a later one of another kind is left out rather than failing every measurement.
        var published = _byName.GetOrAdd(name, _ => new PublishedInstrument(name, kind.Value, Help(instrument), Buckets(instrument)));
        if (published.Kind == kind.Value)
        {
            listener.EnableMeasurementEvents(instrument, published);
        }
    }

    private static InstrumentKind? KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>))
        {
            return InstrumentKind.Counter;
        }
        if (definition == typeof(Histogram<>))
        {
            return InstrumentKind.Histogram;
        }
        if (definition == typeof(UpDownCounter<>) || definition == typeof(ObservableUpDownCounter<>)
            || definition == typeof(ObservableGauge<>) || definition == typeof(Gauge<>))
        {
            return InstrumentKind.Gauge;
        }
        return null;
    }

    private static string Help(Instrument instrument)
    {
        var description = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description.TrimEnd('.');
        return $"{description}. .NET meter {instrument.Meter.Name}, instrument {instrument.Name}.";
    }

    // The library's own advice where it gives one (ASP.NET Core's and the HTTP client's duration histograms do);
    // otherwise for durations 13 bounds from 1 ms to 10 s, each one a bound of the stages' finer LatencyBuckets, so
    // the two can be compared bucket for bucket at a third of the series per label set.
    private static double[]? Buckets(Instrument instrument)
    {
        var advice = instrument switch
        {
            Instrument<double> d => d.Advice?.HistogramBucketBoundaries?.ToArray(),
            Instrument<float> f => f.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Instrument<long> l => l.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Instrument<int> i => i.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        if (advice is { Length: > 0 })
        {
            return advice;
        }
        return instrument.Unit switch
        {
            "s" => [.. CoarseDurationBounds],
            "ms" => [.. CoarseDurationBounds.Select(b => b * 1000)],
            // Request and message sizes: powers of 4 from 64 B to 64 MiB.
            "By" => [.. Enumerable.Range(0, 11).Select(i => 64 * Math.Pow(4, i))],
            _ => null,
        };
    }

    /// <summary>Bounds of duration histograms whose library gives no advice: 1, 2.5, 5 × 10^k from 1 ms to 10 s.</summary>
    public static IReadOnlyList<double> CoarseDurationBounds { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private void OnMeasurement<T>(Instrument instrument, T measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct
    {
        if (state is not PublishedInstrument published)
        {
            return;
        }
        // An exception thrown here would switch the instrument off for good; a measurement that cannot be
        // published is skipped instead.
        try
        {
            var value = ToDouble(measurement);
            var (labelNames, labelValues) = Labels(tags);
            switch (published.Kind)
            {
                case InstrumentKind.Counter when instrument.IsObservable:
                    _factory.CreateCounter(published.Name, published.Help, labelNames).WithLabels(labelValues).IncTo(value);
                    break;
                case InstrumentKind.Counter when value >= 0:
                    _factory.CreateCounter(published.Name, published.Help, labelNames).WithLabels(labelValues).Inc(value);
                    break;
                case InstrumentKind.Gauge when instrument.IsObservable || instrument.GetType().GetGenericTypeDefinition() == typeof(Gauge<>):
                    _factory.CreateGauge(published.Name, published.Help, labelNames).WithLabels(labelValues).Set(value);
                    break;
                case InstrumentKind.Gauge:
                    _factory.CreateGauge(published.Name, published.Help, labelNames).WithLabels(labelValues).Inc(value);
                    break;
                case InstrumentKind.Histogram:
                    var configuration = published.Buckets is null ? null : new HistogramConfiguration { Buckets = published.Buckets };
                    _factory.CreateHistogram(published.Name, published.Help, labelNames, configuration).WithLabels(labelValues).Observe(value);
                    break;
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            System.Diagnostics.Trace.WriteLine($"Meter instrument {instrument.Meter.Name}/{instrument.Name} not published: {exception.Message}");
        }
    }

    private static double ToDouble<T>(T measurement) where T : struct => measurement switch
    {
        byte v => v,
        short v => v,
        int v => v,
        long v => v,
        float v => v,
        double v => v,
        decimal v => (double)v,
        _ => double.NaN,
    };

    // prometheus-net needs one label order per series; .NET tags come in any order, so they are sorted by name.
    private static (string[] Names, string[] Values) Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return ([], []);
        }
        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var names = new string[sorted.Length];
        var values = new string[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            names[i] = PrometheusName(sorted[i].Key, unit: null, InstrumentKind.Gauge).TrimStart('_');
            values[i] = sorted[i].Value switch
            {
                // As OpenTelemetry writes attribute values: booleans lower case.
                bool flag => flag ? "true" : "false",
                var value => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
            };
        }
        return (names, values);
    }

    private sealed record PublishedInstrument(string Name, InstrumentKind Kind, string Help, double[]? Buckets);
}

/// <summary>How a .NET instrument is published in Prometheus.</summary>
public enum InstrumentKind
{
    Counter,
    Gauge,
    Histogram,
}
