using Pipeline.Config;

namespace Pipeline.Tests.Loki;

/// <summary><c>validate</c> refuses a loki sink that cannot work, at the option's line and column.</summary>
public sealed class LokiSinkConfigTests
{
    [Fact]
    public void A_label_name_loki_would_refuse_is_refused_with_a_valid_name_suggested()
    {
        var error = Only(Sink("labels: { k8s.namespace: \"{{ .kubernetes.namespace }}\" }"));

        Assert.Equal((8, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'labels': expected a label name of [a-zA-Z_][a-zA-Z0-9_]*", error.Message, StringComparison.Ordinal);
        Assert.Contains("found 'k8s.namespace' (did you mean 'k8s_namespace'?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reserved_double_underscore_label_is_refused()
        => Assert.Contains("found '__name__'", Only(Sink("labels: { __name__: x }")).Message, StringComparison.Ordinal);

    [Fact]
    public void An_unclosed_label_template_is_refused_naming_the_label()
        => Assert.Contains("label 'app': template \"{{ .app\" has an unclosed '{{'", Only(Sink("labels: { app: \"{{ .app\" }")).Message, StringComparison.Ordinal);

    [Fact]
    public void No_labels_at_all_is_refused_since_loki_needs_one()
        => Assert.Contains("expected at least one stream label", Only(Sink("labels: {}")).Message, StringComparison.Ordinal);

    [Fact]
    public void An_endpoint_with_the_push_path_is_refused_with_the_base_url_suggested()
    {
        var error = Only(Sink("labels: { app: x }", endpoint: "http://loki:3100/loki/api/v1/push"));

        Assert.Contains("option 'endpoint': expected Loki's base URL (the sink adds /loki/api/v1/push)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(did you mean 'http://loki:3100'?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_templated_tenant_is_refused_since_one_request_has_one_tenant()
        => Assert.Contains("option 'tenant_id': expected a fixed tenant id", Only(Sink("labels: { app: x }\n    tenant_id: \"{{ .team }}\"")).Message, StringComparison.Ordinal);

    [Fact]
    public void A_label_bound_below_one_is_refused()
        => Assert.Contains("option 'max_label_values': expected a count of at least 1, found 0", Only(Sink("labels: { app: x }\n    max_label_values: 0")).Message, StringComparison.Ordinal);

    [Fact]
    public void The_tenant_header_among_headers_is_sent_to_tenant_id()
        => Assert.Contains("X-Scope-OrgID is tenant_id", Only(Sink("labels: { app: x }\n    headers: { X-Scope-OrgID: a }")).Message, StringComparison.Ordinal);

    [Fact]
    public void Vectors_out_of_order_action_is_answered_with_why_it_is_not_needed()
        => Assert.Contains("out-of-order", Only(Sink("labels: { app: x }\n    out_of_order_action: accept")).Message, StringComparison.Ordinal);

    [Fact]
    public void A_sink_with_templated_labels_and_every_option_validates()
        => ConfigLoader.LoadYaml(Sink("""
            labels: { app: "{{ .kubernetes.labels.app }}", namespace: "{{ .kubernetes.namespace }}", cluster: prod }
                tenant_id: team-a
                encoding: { codec: text }
                remove_label_fields: true
                compression: none
                max_label_values: 5000
                timeout: 30s
            """), "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());

    private static string Sink(string option, string endpoint = "http://loki:3100") => $"""
        sources:
          in: {"{type: stdin}"}
        sinks:
          out:
            type: loki
            inputs: [in]
            endpoint: {endpoint}
            {option}
        """;

    private static ConfigError Only(string yaml)
    {
        var errors = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;
        Assert.True(errors.Count == 1, $"expected exactly one error, found {errors.Count}:\n{string.Join("\n", errors)}");
        return errors[0];
    }
}
