using System.Globalization;
using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Processors.LogToMetric;

[Component("log_to_metric",
    "Derives Prometheus counters, histograms and gauges from events, exported on the admin port's /metrics with a bounded number of label sets; events pass through unchanged. docs/log-to-metric.md.")]
public sealed class LogToMetricConfig : IProcessorConfig
{
    /// <summary>Label sets per metric by default: enough for levels × namespaces × a few status codes, bounded in memory.</summary>
    public const int DefaultMaxSeries = 1_000;

    /// <summary>The most any metric may be given: beyond it a scrape's size, not this process, becomes the problem.</summary>
    public const int MaxSeriesLimit = 100_000;

    /// <summary>prometheus-net's (and the Go client's) default buckets, for a histogram that names none.</summary>
    internal static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    [Option("The metrics to derive: each a type, a field, a name and optional tags (labels).", Required = true,
        Example = "[{ type: counter, field: .level, name: log_events_total, tags: { level: \"{{ .level }}\" } }]")]
    public List<LogMetricSettings> Metrics { get; set; } = [];

    public IProcessorFactory Build(ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Metrics.Count == 0)
        {
            throw new ComponentBuildException("metrics", "expected at least one metric, found an empty list");
        }
        var plans = new List<LogMetricPlan>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var checks = new Action[Metrics.Count];
        for (var i = 0; i < Metrics.Count; i++)
        {
            var index = i;
            checks[i] = () =>
            {
                var plan = Plan(Metrics[index], $"metrics[{index}]");
                if (names.TryGetValue(plan.Shape.Name, out var first))
                {
                    throw new ComponentBuildException($"metrics[{index}].name", $"expected a name of its own, found '{plan.Shape.Name}', which metrics[{first}] already exports");
                }
                names.Add(plan.Shape.Name, index);
                plans.Add(plan);
            };
        }
        ComponentBuildException.ThrowIfAnyFails(checks);
        return new LogToMetricFactory([.. plans]);
    }

    private static LogMetricPlan Plan(LogMetricSettings metric, string at)
    {
        if (metric.Field.IsRoot)
        {
            throw new ComponentBuildException($"{at}.field", "expected a field path such as .status, found the root '.'");
        }
        var name = metric.Name ?? metric.Field.Segments[^1].Key
            ?? throw new ComponentBuildException($"{at}.field", $"a field that ends in an array index ({metric.Field}) needs a name option");
        var nameOption = metric.Name is null ? $"{at}.field" : $"{at}.name";
        if (metric.Namespace is not null)
        {
            if (!PrometheusSyntax.IsMetricName(metric.Namespace))
            {
                throw new ComponentBuildException($"{at}.namespace", $"expected a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*), found '{metric.Namespace}'");
            }
            name = metric.Namespace + "_" + name;
        }
        if (!PrometheusSyntax.IsMetricName(name))
        {
            throw new ComponentBuildException(nameOption, $"expected a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), found '{name}'");
        }
        if (name.StartsWith(TelemetryNames.OwnMetricPrefix, StringComparison.Ordinal))
        {
            throw new ComponentBuildException(nameOption,
                $"expected a name outside the service's own metrics, found '{name}' ({TelemetryNames.OwnMetricPrefix}* is Pipeline's; use a namespace such as app_)");
        }
        if (metric.IncrementByValue && metric.Type != LogMetricType.Counter)
        {
            throw new ComponentBuildException($"{at}.increment_by_value", $"expected it only on a counter, found it on a {Noun(metric.Type)}");
        }
        if (metric.Buckets is not null && metric.Type != LogMetricType.Histogram)
        {
            throw new ComponentBuildException($"{at}.buckets", $"expected buckets only on a histogram, found them on a {Noun(metric.Type)}");
        }
        var buckets = metric.Type == LogMetricType.Histogram ? Buckets(metric.Buckets, $"{at}.buckets") : [];
        if (metric.MaxSeries is < 1 or > MaxSeriesLimit)
        {
            throw new ComponentBuildException($"{at}.max_series",
                $"expected 1 to {MaxSeriesLimit.ToString("N0", CultureInfo.InvariantCulture)} label sets, found {metric.MaxSeries.ToString(CultureInfo.InvariantCulture)}");
        }
        var tags = new List<(string Label, FieldTemplate Template)>();
        foreach (var (label, text) in metric.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (!PrometheusSyntax.IsLabelName(label))
            {
                throw new ComponentBuildException($"{at}.tags.{label}",
                    $"expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __), found '{label}'"
                    + (label.Contains('.', StringComparison.Ordinal) ? $" (did you mean '{label.Replace('.', '_')}'?)" : ""));
            }
            try
            {
                tags.Add((label, FieldTemplate.Parse(text)));
            }
            catch (FormatException e)
            {
                throw new ComponentBuildException($"{at}.tags.{label}", e.Message);
            }
        }
        var help = metric.Description ?? $"Derived by log_to_metric from {metric.Field}.";
        var shape = new DerivedMetricShape(name, TypeOf(metric.Type), help, [.. tags.Select(t => t.Label)], buckets, metric.MaxSeries);
        return new LogMetricPlan(shape, metric.Field, metric.IncrementByValue, [.. tags.Select(t => t.Template)]);
    }

    private static double[] Buckets(List<double>? bounds, string option)
    {
        if (bounds is null)
        {
            return DefaultBuckets;
        }
        if (bounds.Count == 0)
        {
            throw new ComponentBuildException(option, "expected at least one bucket bound, found an empty list (leave it out for the defaults)");
        }
        for (var i = 0; i < bounds.Count; i++)
        {
            if (!double.IsFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            {
                throw new ComponentBuildException(option,
                    $"expected finite bounds in increasing order, found {bounds[i].ToString(CultureInfo.InvariantCulture)} at position {(i + 1).ToString(CultureInfo.InvariantCulture)}");
            }
        }
        return [.. bounds];
    }

    private static DerivedMetricType TypeOf(LogMetricType type) => type switch
    {
        LogMetricType.Counter => DerivedMetricType.Counter,
        LogMetricType.Histogram => DerivedMetricType.Histogram,
        _ => DerivedMetricType.Gauge,
    };

    private static string Noun(LogMetricType type) => type.ToString().ToLowerInvariant();
}
