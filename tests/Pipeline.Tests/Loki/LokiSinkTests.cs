using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Sinks.Loki;
using Pipeline.Telemetry;

namespace Pipeline.Tests.Loki;

/// <summary>What the loki sink pushes, checked on the body a local Loki endpoint receives, and what it makes of Loki's answers.</summary>
public sealed class LokiSinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Events_are_grouped_into_one_stream_per_rendered_label_set_with_static_labels_kept()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = Sink(loki, new() { ["app"] = "{{ .kubernetes.labels.app }}", ["namespace"] = "{{ .kubernetes.namespace }}", ["cluster"] = "prod" });

        await sink.WriteAsync([Log("checkout", "shop", 1), Log("cart", "shop", 2), Log("checkout", "shop", 3)], Ct);

        var streams = Assert.Single(loki.Pushes).Streams;
        Assert.Equal(2, streams.Count);
        var checkout = streams.Single(s => s.Labels["app"] == "checkout");
        Assert.Equal(new Dictionary<string, string> { ["app"] = "checkout", ["cluster"] = "prod", ["namespace"] = "shop" }, checkout.Labels);
        Assert.Equal([1, 3], checkout.Values.Select(v => N(v)));
        Assert.Equal([2], streams.Single(s => s.Labels["app"] == "cart").Values.Select(v => N(v)));
    }

    [Fact]
    public async Task Timestamps_are_unix_nanoseconds_from_the_events_rfc3339_time_and_sorted_within_each_stream()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = Sink(loki, new() { ["app"] = "{{ .kubernetes.labels.app }}" });

        await sink.WriteAsync([
            Log("a", "ns", 1, "2025-03-01T10:00:02.123456789Z"),
            Log("a", "ns", 2, "2025-03-01T10:00:01Z"),
            Log("a", "ns", 3, "2025-03-01T11:00:01.5+01:00"),
        ], Ct);

        var values = Assert.Single(Assert.Single(loki.Pushes).Streams).Values;
        var second = DateTimeOffset.Parse("2025-03-01T10:00:01Z", CultureInfo.InvariantCulture).ToUnixTimeSeconds() * 1_000_000_000L;
        Assert.Equal([2, 3, 1], values.Select(v => N(v)));
        Assert.Equal(
            [second.ToString(CultureInfo.InvariantCulture), (second + 500_000_000).ToString(CultureInfo.InvariantCulture), (second + 1_123_456_789).ToString(CultureInfo.InvariantCulture)],
            values.Select(v => v[0].GetString()));
    }

    [Fact]
    public async Task An_event_without_a_timestamp_is_sent_at_the_time_of_the_push()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = Sink(loki, new() { ["app"] = "static" });
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;

        await sink.WriteAsync([Event.Parse("""{"message":"no time"}""")], Ct);

        var sent = long.Parse(Assert.Single(Assert.Single(Assert.Single(loki.Pushes).Streams).Values)[0].GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(sent, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L + 1_000_000);
    }

    [Fact]
    public async Task The_trace_and_span_id_of_each_event_are_its_entrys_structured_metadata()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = (ITracePropagatingSink)Sink(loki, new() { ["app"] = "static" });
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        await sink.WriteAsync([Log("a", "n", 1), Log("a", "n", 2)], [trace, default], Ct);

        var values = Assert.Single(Assert.Single(loki.Pushes).Streams).Values;
        var metadata = values[0][2];
        Assert.Equal(trace.TraceId.ToHexString(), metadata.GetProperty("trace_id").GetString());
        Assert.Equal(trace.SpanId.ToHexString(), metadata.GetProperty("span_id").GetString());
        Assert.Equal(2, values[1].GetArrayLength());
    }

    [Fact]
    public async Task Json_lines_are_the_whole_event_and_text_lines_its_message()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var json = Sink(loki, new() { ["app"] = "static" });
        await using var text = Sink(loki, new() { ["app"] = "static" }, c => c.Encoding = new LokiEncodingSettings { Codec = LokiEncodingSettings.LineCodec.Text });

        await json.WriteAsync([Event.Parse("""{"message":"hi \"you\"","level":"info"}""")], Ct);
        await text.WriteAsync([Event.Parse("""{"message":"hi \"you\"","level":"info"}"""), Event.Parse("""{"level":"warn"}""")], Ct);

        var jsonLine = Line(Assert.Single(Assert.Single(loki.Pushes[0].Streams).Values));
        Assert.Equal("info", JsonDocument.Parse(jsonLine).RootElement.GetProperty("level").GetString());
        Assert.Equal(["hi \"you\"", """{"level":"warn"}"""], Assert.Single(loki.Pushes[1].Streams).Values.Select(Line));
    }

    [Fact]
    public async Task A_json_line_keeps_backslashes_and_quotes_of_the_events_strings()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = Sink(loki, new() { ["app"] = "static" });
        const string raw = "{\"path\":\"C:\\\\temp\",\n\t\"quote\":\"say \\\"hi\\\"\"}";

        await sink.WriteAsync([Event.Unparsed(System.Text.Encoding.UTF8.GetBytes(raw))], Ct);

        var line = JsonDocument.Parse(Line(Assert.Single(Assert.Single(loki.Pushes[0].Streams).Values))).RootElement;
        Assert.Equal("C:\\temp", line.GetProperty("path").GetString());
        Assert.Equal("say \"hi\"", line.GetProperty("quote").GetString());
    }

    [Fact]
    public async Task Remove_label_fields_leaves_the_labelled_fields_out_of_the_line_but_not_out_of_the_event()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = Sink(loki, new() { ["app"] = "{{ .kubernetes.labels.app }}" }, c => c.RemoveLabelFields = true);
        var evt = Log("checkout", "shop", 1);

        await sink.WriteAsync([evt], Ct);

        var line = JsonDocument.Parse(Line(Assert.Single(Assert.Single(loki.Pushes[0].Streams).Values))).RootElement;
        Assert.False(line.GetProperty("kubernetes").GetProperty("labels").TryGetProperty("app", out _));
        Assert.Equal("shop", line.GetProperty("kubernetes").GetProperty("namespace").GetString());
        Assert.Equal("checkout", evt.Get(FieldPath.Parse(".kubernetes.labels.app")).ToString());
    }

    [Fact]
    public async Task Values_beyond_a_labels_bound_go_out_under_the_overflow_value_with_the_real_one_in_metadata_and_are_counted()
    {
        await using var loki = await FakeLoki.StartAsync();
        var metrics = PipelineMetrics.CreateIsolated();
        var factory = Factory(loki, new() { ["pod"] = "{{ .pod }}", ["app"] = "static" }, c => c.MaxLabelValues = 2);
        ((ISharedStageState)factory).Start(new StageRuntime(Serilog.Core.Logger.None, metrics.ForComponent("p", "out", "sink")));
        await using var first = factory.CreateForIsolate(0);
        await using var second = factory.CreateForIsolate(1);

        await first.WriteAsync([Pod("a"), Pod("b"), Pod("c")], Ct);
        await second.WriteAsync([Pod("d"), Pod("a")], Ct);

        var streams = loki.Pushes.SelectMany(p => p.Streams).ToList();
        Assert.Equal(5, streams.Sum(s => s.Values.Count));
        Assert.Equal(["__overflow__", "__overflow__", "a", "a", "b"], streams.Select(s => s.Labels["pod"]).Order(StringComparer.Ordinal));
        var overflowed = streams.Where(s => s.Labels["pod"] == "__overflow__").SelectMany(s => s.Values).ToList();
        Assert.Equal(["c", "d"], overflowed.Select(v => v[2].GetProperty("pod").GetString()).Order(StringComparer.Ordinal));
        var counted = Observability.Exposition.Parse(await Scrape(metrics)).Samples
            .Single(s => s.Name == "pipeline_loki_label_values_over_limit_total" && s.Labels["label"] == "pod");
        Assert.Equal(2, counted.Value);
    }

    [Fact]
    public async Task An_event_whose_labels_all_render_empty_goes_to_the_sinks_own_stream()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = Sink(loki, new() { ["app"] = "{{ .app }}" });

        await sink.WriteAsync([Event.Parse("""{"message":"no app"}""")], Ct);

        Assert.Equal(new Dictionary<string, string> { ["sink"] = "out" }, Assert.Single(loki.Pushes[0].Streams).Labels);
    }

    [Fact]
    public async Task The_tenant_goes_in_x_scope_orgid_and_the_body_is_gzip_by_default()
    {
        await using var loki = await FakeLoki.StartAsync();
        await using var sink = Sink(loki, new() { ["app"] = "static" }, c => c.TenantId = "team-a");

        await sink.WriteAsync([Log("a", "n", 1)], Ct);

        var push = Assert.Single(loki.Pushes);
        Assert.Equal("team-a", push.Headers["X-Scope-OrgID"]);
        Assert.Equal("gzip", push.Headers["Content-Encoding"]);
        Assert.Equal("application/json", push.Headers["Content-Type"]);
        Assert.Equal([0x1f, 0x8b], push.RawBody.Take(2));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Throttling_and_server_errors_are_retried_after_the_retry_after_loki_gives(int status)
    {
        await using var loki = await FakeLoki.StartAsync();
        loki.Answer = (status, "Ingestion rate limit exceeded", "3");
        await using var sink = Sink(loki, new() { ["app"] = "static" });

        var ex = await Assert.ThrowsAsync<RetryableFailureException>(() => sink.WriteAsync([Log("a", "n", 1)], Ct).AsTask());

        Assert.Equal(TimeSpan.FromSeconds(3), ex.RetryAfter);
        Assert.Contains("Ingestion rate limit exceeded", ex.Message, StringComparison.Ordinal);
        Assert.True(FailurePolicy.IsRetryable(ex));
    }

    [Fact]
    public async Task A_400_about_the_request_is_permanent_with_lokis_message()
    {
        await using var loki = await FakeLoki.StartAsync();
        loki.Answer = (400, "error at least one label pair is required per stream", null);
        await using var sink = Sink(loki, new() { ["app"] = "static" });

        var ex = await Assert.ThrowsAsync<PermanentFailureException>(() => sink.WriteAsync([Log("a", "n", 1)], Ct).AsTask());

        Assert.Contains("400", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at least one label pair is required", ex.Message, StringComparison.Ordinal);
        Assert.False(FailurePolicy.IsRetryable(ex));
    }

    [Fact]
    public async Task A_400_naming_entries_too_far_behind_dead_letters_those_entries_alone()
    {
        await using var loki = await FakeLoki.StartAsync();
        // Loki's ingester answer (pkg/ingester/stream.go): one line per refused entry, then the count.
        loki.Answer = (400, "entry with timestamp 2025-03-01 09:00:00.25 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2025-03-01T09:00:00Z, oldest acceptable timestamp is: 2025-03-01T09:30:00Z',\ntotal ignored: 1 out of 3", null);
        await using var sink = Sink(loki, new() { ["app"] = "static" });

        var ex = await Assert.ThrowsAsync<PartialDeliveryException>(() => sink.WriteAsync([
            Log("a", "n", 0, "2025-03-01T10:00:00Z"),
            Log("a", "n", 1, "2025-03-01T09:00:00.250Z"),
            Log("a", "n", 2, "2025-03-01T10:00:01Z"),
        ], Ct).AsTask());

        var failure = Assert.Single(ex.Failures);
        Assert.Equal(1, failure.Index);
        Assert.False(failure.Retryable);
        Assert.Contains("entry too far behind", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_loki_refused_without_naming_them_are_dead_lettered_rather_than_lost()
    {
        await using var loki = await FakeLoki.StartAsync();
        loki.Answer = (400, "entry with timestamp 2025-03-01 09:00:00 +0000 UTC ignored, reason: 'entry too far behind'\ntotal ignored: 2 out of 3", null);
        await using var sink = Sink(loki, new() { ["app"] = "static" });

        var ex = await Assert.ThrowsAsync<PartialDeliveryException>(() => sink.WriteAsync([
            Log("a", "n", 0, "2025-03-01T09:00:00Z"),
            Log("a", "n", 1, "2025-03-01T10:00:00Z"),
            Log("a", "n", 2, "2025-03-01T10:00:01Z"),
        ], Ct).AsTask());

        Assert.Equal([0, 1, 2], ex.Failures.Select(f => f.Index).Order());
        Assert.Contains("entry too far behind", ex.Failures.Single(f => f.Index == 0).Reason, StringComparison.Ordinal);
        Assert.Contains("loki refused 2 of the 3 entries of the request and did not name them all, so this one may be in Loki or not", ex.Failures.Single(f => f.Index == 2).Reason, StringComparison.Ordinal);
    }

    private static ISinkFactory Factory(FakeLoki loki, Dictionary<string, string> labels, Action<LokiSinkConfig>? configure = null)
    {
        var config = new LokiSinkConfig { Endpoint = loki.Endpoint.ToString(), Labels = labels };
        configure?.Invoke(config);
        return config.Build(new ComponentContext("out", "test", Path.GetTempPath()));
    }

    private static ISink Sink(FakeLoki loki, Dictionary<string, string> labels, Action<LokiSinkConfig>? configure = null)
        => Factory(loki, labels, configure).CreateForIsolate(0);

    private static Event Log(string app, string ns, int n, string? timestamp = null)
    {
        var time = timestamp is null ? "" : $"\"timestamp\":\"{timestamp}\",";
        return Event.Parse($"{{\"n\":{n},{time}\"message\":\"line {n}\",\"kubernetes\":{{\"namespace\":\"{ns}\",\"labels\":{{\"app\":\"{app}\"}}}}}}");
    }

    private static Event Pod(string pod) => Event.Parse($$"""{"pod":"{{pod}}","message":"from {{pod}}"}""");

    private static string Line(JsonElement value) => value[1].GetString()!;

    private static int N(JsonElement value) => JsonDocument.Parse(Line(value)).RootElement.GetProperty("n").GetInt32();

    private static async Task<string> Scrape(PipelineMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream, Ct);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
