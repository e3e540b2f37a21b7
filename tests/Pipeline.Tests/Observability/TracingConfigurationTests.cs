using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Telemetry;

namespace Pipeline.Tests.Observability;

/// <summary>YAML over the standard OTEL_* variables over the defaults, and the sampling rules.</summary>
public sealed class TracingConfigurationTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return name => map.GetValueOrDefault(name);
    }

    /// <summary>Resolves settings that are right: no error is reported.</summary>
    private static TracingConfiguration Resolve(TracingOptions options, Func<string, string?> environment)
    {
        var errors = new List<SettingError>();
        var resolved = TracingConfiguration.Resolve(options, environment, errors);
        Assert.Empty(errors);
        return Assert.IsType<TracingConfiguration>(resolved);
    }

    [Fact]
    public void Without_an_endpoint_nothing_is_exported_and_the_sampler_is_parent_based_one_percent()
    {
        var resolved = Resolve(new TracingOptions(), Env());

        Assert.False(resolved.Exports);
        Assert.Equal("parentbased_traceidratio", resolved.Sampler.Name);
        Assert.Equal(0.01, resolved.Sampler.Ratio);
        Assert.Equal("pipeline", resolved.ServiceName);
        Assert.Equal(Environment.MachineName, resolved.Resource["host.name"]);
        Assert.True(resolved.Resource.ContainsKey("service.instance.id"));
        Assert.True(resolved.Resource.ContainsKey("service.version"));
    }

    [Fact]
    public void Standard_variables_configure_otlp_export_sampling_and_the_resource()
    {
        var resolved = Resolve(new TracingOptions(), Env(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer abc"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
            ("OTEL_SERVICE_NAME", "edge-logs"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=obs%20core"),
            ("K8S_POD_NAME", "pipeline-7d9f"),
            ("K8S_NAMESPACE_NAME", "logging"),
            ("K8S_NODE_NAME", "node-3")));

        Assert.True(resolved.Exports);
        Assert.Equal(new Uri("http://collector:4318/v1/traces"), resolved.Endpoint);
        Assert.Equal("http/protobuf", resolved.Protocol);
        Assert.Equal("authorization=Bearer abc", resolved.Headers);
        Assert.False(resolved.Sampler.ParentBased);
        Assert.Equal(0.25, resolved.Sampler.Ratio);
        Assert.Equal("edge-logs", resolved.ServiceName);
        Assert.Equal("prod", resolved.Resource["deployment.environment"]);
        Assert.Equal("obs core", resolved.Resource["team"]);
        Assert.Equal("pipeline-7d9f", resolved.Resource["k8s.pod.name"]);
        Assert.Equal("logging", resolved.Resource["k8s.namespace.name"]);
        Assert.Equal("node-3", resolved.Resource["k8s.node.name"]);
        var otlp = resolved.ToOtlpExporterOptions();
        Assert.Equal(OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf, otlp.Protocol);
        Assert.Equal(new Uri("http://collector:4318/v1/traces"), otlp.Endpoint);
    }

    [Fact]
    public void Yaml_wins_over_the_environment()
    {
        var config = ConfigLoader.LoadYaml("""
            telemetry:
              traces:
                endpoint: http://tempo:4317
                protocol: grpc
                sampler: parentbased_traceidratio
                ratio: 0.5
                service_name: from-yaml
                headers: { x-tenant: a }
                resource_attributes: { deployment.environment: staging }
            sources:
              gen: { type: generator, count: 1 }
            sinks:
              out: { type: blackhole, inputs: [gen] }
            """, "traces.yaml", BuiltInComponents.Create());

        var resolved = Resolve(config.Traces.ToTracingOptions(), Env(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://elsewhere:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.9"),
            ("OTEL_SERVICE_NAME", "from-env"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod")));

        Assert.Equal(new Uri("http://tempo:4317"), resolved.Endpoint);
        Assert.Equal("grpc", resolved.Protocol);
        Assert.Equal(0.5, resolved.Sampler.Ratio);
        Assert.Equal("from-yaml", resolved.ServiceName);
        Assert.Equal("x-tenant=a", resolved.Headers);
        Assert.Equal("staging", resolved.Resource["deployment.environment"]);
    }

    [Theory]
    [InlineData("sampler", "sometimes", "telemetry.traces.sampler")]
    [InlineData("ratio", "1.5", "telemetry.traces.ratio")]
    [InlineData("protocol", "udp", "telemetry.traces.protocol")]
    [InlineData("endpoint", "collector:4317", "telemetry.traces.endpoint")]
    [InlineData("exporter", "jaeger", "telemetry.traces.exporter")]
    public void A_wrong_value_is_reported_with_the_setting_and_what_was_expected(string option, string value, string named)
    {
        var options = option switch
        {
            "sampler" => new TracingOptions { Sampler = value },
            "ratio" => new TracingOptions { Ratio = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "protocol" => new TracingOptions { Protocol = value },
            "endpoint" => new TracingOptions { Endpoint = value },
            _ => new TracingOptions { Exporter = value },
        };

        var errors = new List<SettingError>();
        Assert.Null(TracingConfiguration.Resolve(options, Env(), errors));

        var error = Assert.Single(errors);
        Assert.Equal(named, error.Setting);
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parent_based_sampling_follows_the_incoming_flag_and_the_ratio_decides_new_traces()
    {
        var sampler = TraceSampler.Create("parentbased_traceidratio", 0.5);
        var sampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var unsampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, isRemote: true);

        Assert.True(sampler.ShouldSample(sampledParent));
        Assert.False(sampler.ShouldSample(unsampledParent));
        // TraceIdRatioBased: the first 8 bytes of the trace id against ratio x long.MaxValue.
        Assert.True(sampler.ShouldSampleRoot(new CompactTraceId(0x1000_0000_0000_0000, 1)));
        Assert.False(sampler.ShouldSampleRoot(new CompactTraceId(0x7000_0000_0000_0000, 1)));
        var random = Enumerable.Range(0, 10_000).Count(_ => sampler.ShouldSampleRoot(CompactTraceId.CreateRandom()));
        Assert.InRange(random, 4_000, 6_000);
        Assert.False(TraceSampler.Create("always_off", null).ShouldSample(sampledParent));
        Assert.True(TraceSampler.Create("always_on", null).ShouldSample(unsampledParent));
    }

    [Fact]
    public void Compact_trace_id_round_trips_through_the_w3c_form()
    {
        var id = ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736");

        var compact = CompactTraceId.From(id);

        Assert.Equal(0x4bf92f3577b34da6UL, compact.High);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", compact.ToHexString());
        Assert.Equal(id, compact.ToActivityTraceId());
        Assert.False(CompactTraceId.CreateRandom().IsEmpty);
    }
}
