using System.Diagnostics.Metrics;
using System.Text;
using Pipeline.Telemetry;
using Prometheus;

namespace Pipeline.Tests.Observability;

/// <summary>
/// The libraries' .NET meters on /metrics: counters stay counters (so rate() works), names are the instrument's own
/// with the unit as a suffix, and the result passes promtool.
/// </summary>
public sealed class MeterMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("aspnetcore.routing.match_attempts", "{match_attempt}", InstrumentKind.Counter, "aspnetcore_routing_match_attempts_total")]
    [InlineData("http.server.request.duration", "s", InstrumentKind.Histogram, "http_server_request_duration_seconds")]
    [InlineData("kestrel.active_connections", "{connection}", InstrumentKind.Gauge, "kestrel_active_connections")]
    [InlineData("aspnetcore.memory_pool.allocated", "By", InstrumentKind.Counter, "aspnetcore_memory_pool_allocated_bytes_total")]
    [InlineData("process.cpu.time", "s", InstrumentKind.Counter, "process_cpu_time_seconds_total")]
    [InlineData("queue.utilization", "1", InstrumentKind.Gauge, "queue_utilization_ratio")]
    [InlineData("requests_total", null, InstrumentKind.Counter, "requests_total")]
    [InlineData("db.client.wait-time/ms", "ms", InstrumentKind.Histogram, "db_client_wait_time_ms_milliseconds")]
    [InlineData("batch.size_bytes", "By", InstrumentKind.Histogram, "batch_size_bytes")]
    public void Prometheus_names_follow_the_OpenTelemetry_mapping(string instrument, string? unit, InstrumentKind kind, string expected) =>
        Assert.Equal(expected, MeterMetrics.PrometheusName(instrument, unit, kind));

    [Fact]
    public async Task Counters_are_counters_gauges_follow_up_and_down_and_histograms_use_advised_or_coarse_latency_buckets()
    {
        using var meter = new Meter("Pipeline.Tests.MeterMetrics." + Guid.NewGuid().ToString("N"));
        var registry = Metrics.NewCustomRegistry();
        using var published = MeterMetrics.Start(registry, instrument => instrument.Meter == meter);
        var attempts = meter.CreateCounter<long>("test.routing.match_attempts", "{match_attempt}", "Route matches.");
        var active = meter.CreateUpDownCounter<int>("test.active_connections", "{connection}");
        var duration = meter.CreateHistogram<double>("test.request.duration", "s");
        var advised = meter.CreateHistogram<double>("test.advised.duration", "s", null, tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1] });
        double busy = 0;
        meter.CreateObservableCounter("test.busy.time", () => busy, "s");
        meter.CreateObservableGauge("test.queue.length", () => 7);

        attempts.Add(3, new KeyValuePair<string, object?>("match_status", "success"), new KeyValuePair<string, object?>("aspnetcore.routing.is_fallback", false));
        attempts.Add(2, new KeyValuePair<string, object?>("aspnetcore.routing.is_fallback", false), new KeyValuePair<string, object?>("match_status", "success"));
        // Another tag set on one instrument, as error.type appears only on failures: its own series.
        attempts.Add(1, new KeyValuePair<string, object?>("match_status", "failure"), new KeyValuePair<string, object?>("error.type", "timeout"), new KeyValuePair<string, object?>("aspnetcore.routing.is_fallback", false));
        active.Add(4, new KeyValuePair<string, object?>("server.port", 8080));
        active.Add(-1, new KeyValuePair<string, object?>("server.port", 8080));
        duration.Record(0.02, new KeyValuePair<string, object?>("http.request.method", "POST"));
        duration.Record(0.03, new KeyValuePair<string, object?>("http.request.method", "POST"));
        advised.Record(0.05);
        busy = 1.5;

        var first = await ScrapeAsync(registry);
        busy = 2.5;
        var second = await ScrapeAsync(registry);

        Assert.Contains("# TYPE test_routing_match_attempts_total counter", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_busy_time_seconds_total counter", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_active_connections gauge", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_queue_length gauge", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_request_duration_seconds histogram", first, StringComparison.Ordinal);
        Assert.DoesNotContain("pipeline_tests_meter", first, StringComparison.OrdinalIgnoreCase);

        var metrics = Exposition.Parse(first);
        Assert.Equal(5, metrics.Value("test_routing_match_attempts_total", ("match_status", "success"), ("aspnetcore_routing_is_fallback", "false")));
        Assert.Equal(1, metrics.Value("test_routing_match_attempts_total", ("match_status", "failure"), ("error_type", "timeout")));
        Assert.Equal(3, metrics.Value("test_active_connections", ("server_port", "8080")));
        Assert.Equal(7, metrics.Value("test_queue_length"));
        Assert.Equal(1.5, metrics.Value("test_busy_time_seconds_total"));
        Assert.Equal(2, metrics.Value("test_request_duration_seconds_count", ("http_request_method", "POST")));
        Assert.Equal(MeterMetrics.CoarseDurationBounds.Count + 1, metrics.Find("test_request_duration_seconds_bucket").Count);
        Assert.All(MeterMetrics.CoarseDurationBounds, bound => Assert.Contains(bound, LatencyBuckets.Bounds));
        Assert.Equal(1, metrics.Value("test_request_duration_seconds_bucket", ("le", "0.025")));
        // A library's bucket advice wins.
        Assert.Equal(["+Inf", "0.01", "0.1", "1"], metrics.Find("test_advised_duration_seconds_bucket").Select(b => b.Labels["le"]).Order(StringComparer.Ordinal));
        Assert.Equal(1, metrics.Value("test_advised_duration_seconds_bucket", ("le", "0.1")));
        // An observable counter reports its running total: the series follows it.
        Assert.Equal(2.5, Exposition.Parse(second).Value("test_busy_time_seconds_total"));

        await MetricsEndpointTests.AssertPromtoolAcceptsAsync(second);
    }

    [Fact]
    public async Task Meters_it_is_not_told_to_include_stay_off_and_nothing_is_published_after_disposal()
    {
        using var wanted = new Meter("Pipeline.Tests.MeterMetrics.Wanted." + Guid.NewGuid().ToString("N"));
        using var other = new Meter("Pipeline.Tests.MeterMetrics.Other." + Guid.NewGuid().ToString("N"));
        var registry = Metrics.NewCustomRegistry();
        var published = MeterMetrics.Start(registry, instrument => instrument.Meter == wanted);
        var counted = wanted.CreateCounter<int>("test.wanted");
        other.CreateCounter<int>("test.other").Add(1);
        counted.Add(1);
        published.Dispose();
        counted.Add(1);

        var text = await ScrapeAsync(registry);
        Assert.Equal(1, Exposition.Parse(text).Value("test_wanted_total"));
        Assert.DoesNotContain("test_other", text, StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream, Ct);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
