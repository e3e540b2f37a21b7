using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors.LogToMetric;

/// <summary>One item of log_to_metric's <c>metrics:</c> list, named as in Vector's log_to_metric.</summary>
public sealed class LogMetricSettings
{
    [Option("counter, histogram or gauge.", Required = true, Example = "counter")]
    public LogMetricType Type { get; set; }

    [Option("The field an event must have to be counted; for a histogram or gauge (or a counter with increment_by_value), the number recorded. A string that reads as a number counts as one.",
        Required = true, Example = ".duration_ms")]
    public FieldPath Field { get; set; } = FieldPath.Root;

    [Option("The metric's name in Prometheus syntax; the field's last name by default. Names starting with pipeline_ belong to the service.",
        Example = "http_requests_total")]
    public string? Name { get; set; }

    [Option("Prepended to the name with an underscore: namespace app and name errors_total export app_errors_total.", Example = "app")]
    public string? Namespace { get; set; }

    [Option("The metric's HELP text.", Example = "HTTP requests seen in the access log, by status.")]
    public string? Description { get; set; }

    [Option("Labels: a label name (Prometheus syntax) to a {{ .field }} template. A missing field renders as the empty value.",
        Example = "{ status: \"{{ .status }}\", namespace: \"{{ .kubernetes.pod_namespace }}\" }")]
    public Dictionary<string, string> Tags { get; set; } = [];

    [Option("Counters only: add the field's number instead of 1.")]
    public bool IncrementByValue { get; set; }

    [Option("Histograms only: the upper bounds of the buckets, increasing. Prometheus's defaults (0.005 to 10) by default.",
        Example = "[10, 50, 100, 250, 500, 1000, 2500]")]
    public List<double>? Buckets { get; set; }

    [Option("Label sets the metric exports at most; events of a label set beyond it are counted in pipeline_log_to_metric_skipped_events_total{reason=\"series_limit\"} and not exported.",
        Example = "500")]
    public int MaxSeries { get; set; } = LogToMetricConfig.DefaultMaxSeries;
}
