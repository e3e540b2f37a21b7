using Pipeline.Config;

namespace Pipeline.Tests.LogToMetric;

/// <summary>log_to_metric's config errors: each names the file, line and column of the value at fault.</summary>
public sealed class LogToMetricConfigTests
{
    private static ConfigError OnlyError(string metrics)
    {
        var yaml = $"""
            sources:
              in: {"{"} type: stdin {"}"}
            stages:
              l2m:
                type: log_to_metric
                inputs: [in]
                metrics:
            {metrics}
            sinks:
              out: {"{"} type: blackhole, inputs: [l2m] {"}"}
            """;
        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>()));
        return Assert.Single(exception.Errors);
    }

    private static void AssertAt(ConfigError error, int line, int column, string text)
    {
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.Equal(("test.yaml", line, column), (error.Mark.File, error.Mark.Line, error.Mark.Column));
    }

    [Fact]
    public void A_name_outside_prometheus_syntax_is_refused_at_its_value()
        => AssertAt(OnlyError("""
                  - { type: counter, field: .level, name: log_events_total }
                  - { type: counter, field: .level, name: "http-errors" }
            """), 9, 47, "option 'metrics[1].name': expected a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), found 'http-errors'");

    [Fact]
    public void A_name_among_the_services_own_metrics_is_refused()
        => AssertAt(OnlyError("""
                  - { type: counter, field: .level, name: pipeline_component_errors_total }
            """), 8, 47, "expected a name outside the service's own metrics, found 'pipeline_component_errors_total'");

    [Fact]
    public void A_label_name_outside_prometheus_syntax_is_refused_with_the_name_it_likely_meant()
        => AssertAt(OnlyError("""
                  - type: counter
                    field: .level
                    name: log_events_total
                    tags:
                      kubernetes.namespace: "{{ .kubernetes.namespace }}"
            """), 12, 33, "found 'kubernetes.namespace' (did you mean 'kubernetes_namespace'?)");

    [Fact]
    public void A_bad_tag_template_is_refused_at_its_value()
        => AssertAt(OnlyError("""
                  - { type: counter, field: .level, name: log_events_total, tags: { level: "{{ .level" } }
            """), 8, 80, "option 'metrics[0].tags.level': template \"{{ .level\" has an unclosed '{{'");

    [Fact]
    public void Buckets_out_of_order_are_refused()
        => AssertAt(OnlyError("""
                  - { type: histogram, field: .duration_ms, buckets: [10, 5] }
            """), 8, 49, "expected finite bounds in increasing order, found 5 at position 2");

    [Fact]
    public void Buckets_on_a_counter_are_refused()
        => AssertAt(OnlyError("""
                  - { type: counter, field: .level, name: a_total, buckets: [1] }
            """), 8, 56, "expected buckets only on a histogram, found them on a counter");

    [Fact]
    public void Two_metrics_of_one_name_are_refused()
        => AssertAt(OnlyError("""
                  - { type: counter, field: .level, name: a_total }
                  - { type: counter, field: .status, name: a_total }
            """), 9, 48, "metrics[1].name': expected a name of its own, found 'a_total', which metrics[0] already exports");

    [Fact]
    public void An_unknown_type_is_refused_with_a_suggestion()
    {
        var error = OnlyError("""
                  - { type: countr, field: .level, name: a_total }
            """);
        Assert.Contains("countr", error.Message, StringComparison.Ordinal);
        Assert.Equal("counter", error.Suggestion);
        Assert.Equal(8, error.Mark.Line);
    }

    [Fact]
    public void Max_series_out_of_bounds_is_refused()
        => AssertAt(OnlyError("""
                  - { type: counter, field: .level, name: a_total, max_series: 0 }
            """), 8, 68, "expected 1 to 100,000 label sets, found 0");
}
