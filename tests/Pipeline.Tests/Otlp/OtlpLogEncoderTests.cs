using System.Diagnostics;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using Pipeline.Events;
using Pipeline.Sinks.Otlp;

namespace Pipeline.Tests.Otlp;

/// <summary>How events become OTLP log records (docs/otlp.md, "The otlp sink"), read back with the generated parser.</summary>
public sealed class OtlpLogEncoderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_message_is_the_body_the_level_the_severity_the_timestamp_the_time_and_every_other_field_a_typed_attribute()
    {
        var request = Encode("""{"message":"card declined","level":"warning","timestamp":"2026-12-04T13:59:58.123456789Z","status":502,"ratio":0.25,"retry":true,"user":{"id":"u1","tier":2},"tags":["a",1],"none":null}""");

        var record = Assert.Single(Records(request));
        Assert.Equal("card declined", record.Body.StringValue);
        Assert.Equal(("warning", SeverityNumber.Warn), (record.SeverityText, record.SeverityNumber));
        Assert.Equal(1_796_392_798_123_456_789UL, record.TimeUnixNano);
        Assert.Equal((ulong)(Now - DateTimeOffset.UnixEpoch).Ticks * 100, record.ObservedTimeUnixNano);
        var attributes = record.Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(["status", "ratio", "retry", "user", "tags", "none"], record.Attributes.Select(a => a.Key));
        Assert.Equal(502, attributes["status"].IntValue);
        Assert.Equal(0.25, attributes["ratio"].DoubleValue);
        Assert.True(attributes["retry"].BoolValue);
        Assert.Equal(["id=u1", "tier=2"], attributes["user"].KvlistValue.Values.Select(v => $"{v.Key}={Text(v.Value)}"));
        Assert.Equal(["a", "1"], attributes["tags"].ArrayValue.Values.Select(Text));
        Assert.Equal(AnyValue.ValueOneofCase.None, attributes["none"].ValueCase);
    }

    [Theory]
    [InlineData("1764856798")]
    [InlineData("\"04/12/2026 13:59:58\"")]
    [InlineData("\"2026-02-30T00:00:00Z\"")]
    [InlineData("\"2026-12-04T13:59:58\"")]
    public void A_timestamp_that_is_no_rfc_3339_time_stays_an_attribute_and_leaves_the_time_unknown(string timestamp)
    {
        var record = Assert.Single(Records(Encode($$"""{"message":"m","timestamp":{{timestamp}}}""")));

        Assert.Equal(0UL, record.TimeUnixNano);
        Assert.Equal("timestamp", Assert.Single(record.Attributes).Key);
    }

    [Fact]
    public void With_a_resources_object_the_kubernetes_and_host_fields_are_plain_attributes()
    {
        var request = Encode("""{"message":"m","resources":{"service.name":"api"},"host":"node-1","kubernetes":{"pod_name":"p"}}""");

        Assert.Equal(["service.name"], Assert.Single(request.ResourceLogs).Resource.Attributes.Select(a => a.Key));
        Assert.Equal(["host", "kubernetes"], Assert.Single(Records(request)).Attributes.Select(a => a.Key));
    }

    [Fact]
    public void An_event_without_a_message_has_no_body_and_all_its_fields_as_attributes()
    {
        var record = Assert.Single(Records(Encode("""{"action":"login","user":"ada"}""")));

        Assert.Null(record.Body);
        Assert.Equal(["action", "user"], record.Attributes.Select(a => a.Key));
    }

    [Theory]
    [InlineData("trace", SeverityNumber.Trace)]
    [InlineData("DEBUG", SeverityNumber.Debug)]
    [InlineData("Information", SeverityNumber.Info)]
    [InlineData("notice", SeverityNumber.Info2)]
    [InlineData("WARN", SeverityNumber.Warn)]
    [InlineData("err", SeverityNumber.Error)]
    [InlineData("ERROR3", SeverityNumber.Error3)]
    [InlineData("critical", SeverityNumber.Fatal)]
    [InlineData("fatal", SeverityNumber.Fatal)]
    [InlineData("verbose-ish", SeverityNumber.Unspecified)]
    public void A_level_name_maps_to_the_specifications_severity_range(string level, SeverityNumber expected)
    {
        var record = Assert.Single(Records(Encode($$"""{"message":"m","level":"{{level}}"}""")));

        Assert.Equal((level, expected), (record.SeverityText, record.SeverityNumber));
        Assert.DoesNotContain(record.Attributes, a => a.Key == "level");
    }

    [Fact]
    public void Severity_text_wins_over_level_which_then_stays_an_attribute_and_a_severity_field_can_point_anywhere()
    {
        var record = Assert.Single(Records(Encode("""{"severity_text":"ERROR","level":"info"}""")));
        Assert.Equal(("ERROR", SeverityNumber.Error), (record.SeverityText, record.SeverityNumber));
        Assert.Equal("info", Text(Assert.Single(record.Attributes, a => a.Key == "level").Value));

        var nested = Assert.Single(Records(Encode("""{"log":{"level":"debug"}}""", severityField: ".log.level")));
        Assert.Equal(("debug", SeverityNumber.Debug), (nested.SeverityText, nested.SeverityNumber));
    }

    [Fact]
    public void An_event_from_the_otlp_source_becomes_the_record_it_was()
    {
        var request = Encode("""
            {"message":"checkout failed","severity_text":"Error","severity_number":18,
             "timestamp":"2026-12-04T13:59:58.000000001Z","observed_timestamp":"2026-12-04T13:59:59.5+01:00",
             "attributes":{"http.status":500,"user":"ada"},
             "resources":{"service.name":"checkout","k8s.pod.name":"checkout-7d9"},
             "scope":{"name":"io.opentelemetry.checkout","version":"1.2.0","attributes":{"lib":"x"}},
             "flags":1,"dropped_attributes_count":3}
            """);

        var resourceLogs = Assert.Single(request.ResourceLogs);
        Assert.Equal(["service.name=checkout", "k8s.pod.name=checkout-7d9"], resourceLogs.Resource.Attributes.Select(a => $"{a.Key}={Text(a.Value)}"));
        var scopeLogs = Assert.Single(resourceLogs.ScopeLogs);
        Assert.Equal(("io.opentelemetry.checkout", "1.2.0", "lib"), (scopeLogs.Scope.Name, scopeLogs.Scope.Version, Assert.Single(scopeLogs.Scope.Attributes).Key));
        var record = Assert.Single(scopeLogs.LogRecords);
        Assert.Equal(("Error", SeverityNumber.Error2), (record.SeverityText, record.SeverityNumber));
        Assert.Equal(1_796_392_798_000_000_001UL, record.TimeUnixNano);
        Assert.Equal(1_796_389_199_500_000_000UL, record.ObservedTimeUnixNano);
        Assert.Equal(["http.status", "user"], record.Attributes.Select(a => a.Key));
        Assert.Equal((1U, 3U), (record.Flags, record.DroppedAttributesCount));
    }

    [Fact]
    public void A_top_level_field_wins_over_an_attribute_of_the_same_name_so_keys_stay_unique()
    {
        var record = Assert.Single(Records(Encode("""{"attributes":{"env":"staging","zone":"a"},"env":"prod"}""")));

        Assert.Equal(["env=prod", "zone=a"], record.Attributes.Select(a => $"{a.Key}={Text(a.Value)}").Order());
    }

    [Fact]
    public void The_kubernetes_enrichers_fields_and_the_host_become_the_resource_under_semantic_convention_names()
    {
        var request = Encode("""
            {"message":"m","host":"node-1","kubernetes":{"pod_name":"web-5f7","pod_namespace":"shop","container_name":"web","container_id":"cri-o://abc",
             "pod_uid":"0b1c","pod_node_name":"node-1","pod_labels":{"app.kubernetes.io/name":"storefront","tier":"front"},"pod_annotations":{"team":"a"},"pod_ip":"10.0.0.7"}}
            """);

        var resourceLogs = Assert.Single(request.ResourceLogs);
        Assert.Equal(
            [
                "k8s.pod.name=web-5f7", "k8s.namespace.name=shop", "k8s.container.name=web", "container.id=cri-o://abc", "k8s.pod.uid=0b1c",
                "k8s.node.name=node-1", "k8s.pod.label.app.kubernetes.io/name=storefront", "k8s.pod.label.tier=front", "k8s.pod.annotation.team=a",
                "kubernetes.pod_ip=10.0.0.7", "host.name=node-1", "service.name=storefront",
            ],
            resourceLogs.Resource.Attributes.Select(a => $"{a.Key}={Text(a.Value)}"));
        Assert.Empty(Assert.Single(Records(request)).Attributes);
    }

    [Theory]
    [InlineData("""{"service":"billing","kubernetes":{"container_name":"web","pod_labels":{"app":"shop"}}}""", "billing")]
    [InlineData("""{"kubernetes":{"container_name":"web","pod_labels":{"app":"shop"}}}""", "shop")]
    [InlineData("""{"kubernetes":{"container_name":"web","pod_annotations":{"resource.opentelemetry.io/service.name":"cart"},"pod_labels":{"app":"shop"}}}""", "cart")]
    [InlineData("""{"kubernetes":{"container_name":"web"}}""", "web")]
    public void Service_name_comes_from_the_service_field_else_the_pods_annotation_or_labels_else_the_container(string json, string expected)
    {
        var resource = Assert.Single(Encode(json).ResourceLogs).Resource;

        Assert.Equal(expected, Text(Assert.Single(resource.Attributes, a => a.Key == "service.name").Value));
    }

    [Fact]
    public void A_batch_is_one_request_with_one_resource_logs_per_resource_each_keeping_the_batchs_order()
    {
        var request = Encode(
            """{"message":"1","kubernetes":{"pod_name":"a"}}""",
            """{"message":"2","kubernetes":{"pod_name":"b"}}""",
            """{"message":"3","kubernetes":{"pod_name":"a"}}""",
            """{"message":"4","kubernetes":{"pod_name":"b"},"scope":{"name":"lib"}}""",
            """{"message":"5","kubernetes":{"pod_name":"b"}}""");

        Assert.Equal(
            ["a: [1 3]", "b: [2 5] lib: [4]"],
            request.ResourceLogs.Select(r => $"{Text(r.Resource.Attributes[0].Value)}: "
                + string.Join(" ", r.ScopeLogs.Select(s => (s.Scope is null ? "" : s.Scope.Name + ": ") + $"[{string.Join(" ", s.LogRecords.Select(l => l.Body.StringValue))}]"))));
    }

    [Fact]
    public void Each_records_trace_context_is_the_events_own_with_its_sampled_flag()
    {
        var sampled = new ActivityContext(ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"), ActivitySpanId.CreateFromString("00f067aa0ba902b7"), ActivityTraceFlags.Recorded);
        var unsampled = new ActivityContext(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"), ActivitySpanId.CreateFromString("b7ad6b7169203331"), ActivityTraceFlags.None);

        var records = Records(Encode([sampled, unsampled, default], """{"message":"1"}""", """{"message":"2"}""", """{"message":"3"}""")).ToList();

        Assert.Equal(
            ["4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 1", "0af7651916cd43dd8448eb211c80319c b7ad6b7169203331 0", "  0"],
            records.Select(r => $"{Convert.ToHexStringLower(r.TraceId.Span)} {Convert.ToHexStringLower(r.SpanId.Span)} {r.Flags}"));
    }

    [Fact]
    public void Encoding_a_batch_again_allocates_nothing_per_event()
    {
        var encoder = new OtlpLogEncoder(null, new FixedTime(Now));
        var events = Enumerable.Range(0, 64).Select(i => Event.Parse($$$"""{"message":"request {{{i}}}","level":"info","timestamp":"2026-12-04T13:59:58.1Z","status":200,"path":"/api/{{{i}}}","host":"node-{{{i % 3}}}","kubernetes":{"pod_name":"web-{{{i % 4}}}","pod_namespace":"shop"}}""")).ToList();
        var traces = Enumerable.Range(0, 64).Select(_ => new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded)).ToList();
        encoder.Encode(events, traces);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            encoder.Encode(events, traces);
        }
        var perBatch = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;

        // The grouping's dictionaries may allocate a few bytes when cleared and refilled; nothing grows with the events.
        Assert.True(perBatch < 64 * 8, $"{perBatch} bytes allocated per batch of 64 events");
    }

    private static ExportLogsServiceRequest Encode(params string[] events) => Encode([], events);

    private static ExportLogsServiceRequest Encode(IReadOnlyList<ActivityContext> traces, params string[] events)
    {
        var encoder = new OtlpLogEncoder(null, new FixedTime(Now));
        return ExportLogsServiceRequest.Parser.ParseFrom(encoder.Encode([.. events.Select(Event.Parse)], traces).ToArray());
    }

    private static ExportLogsServiceRequest Encode(string json, string severityField)
    {
        var encoder = new OtlpLogEncoder(FieldPath.Parse(severityField), new FixedTime(Now));
        return ExportLogsServiceRequest.Parser.ParseFrom(encoder.Encode([Event.Parse(json)], []).ToArray());
    }

    private static IEnumerable<LogRecord> Records(ExportLogsServiceRequest request)
        => request.ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords);

    private static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
