using System.Globalization;
using System.Text.Json;
using Pipeline.Host;
using Pipeline.Tests.EndToEnd;
using static Pipeline.Tests.LogToMetric.DerivedMetricsText;

namespace Pipeline.Tests.LogToMetric;

/// <summary>A YAML topology with a log_to_metric stage, its metrics read from the admin port's /metrics over HTTP.</summary>
public sealed class LogToMetricEndToEndTests : IDisposable
{
    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task The_scraped_counters_and_histogram_match_the_events_that_went_through_unchanged()
    {
        var config = _harness.Load("""
            name: l2m-e2e
            data_dir: {dir}
            sources:
              gen: { type: generator, count: 2000, seed: 7 }
            stages:
              metrics:
                type: log_to_metric
                inputs: [gen]
                isolates: 2
                metrics:
                  - type: counter
                    field: .status
                    name: http_responses_total
                    namespace: web
                    tags: { status: "{{ .status }}", method: "{{ .method }}" }
                  - type: histogram
                    field: .duration_ms
                    name: web_request_duration_ms
                    buckets: [10, 50, 250]
            sinks:
              out: { type: file, inputs: [metrics], path: "{dir}/out.ndjson" }
            """);
        await using var topology = _harness.Build(config);
        var ct = TestContext.Current.CancellationToken;
        await using var admin = await AdminServer.StartAsync("127.0.0.1:0", topology, _harness.Metrics, _harness.Logger, ct);
        using var http = new HttpClient { BaseAddress = new Uri(admin.Addresses.Single()) };
        await topology.StartAsync(ct);
        await topology.Completion.WaitAsync(EndToEndHarness.HangGuard, ct);
        var scraped = await http.GetStringAsync("/metrics", ct);
        await topology.StopAsync(TimeSpan.FromSeconds(10));

        var written = File.ReadAllLines(_harness.PathOf("out.ndjson")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2000, written.Count);
        var expected = written
            .GroupBy(e => $"method=\"{e.GetProperty("method").GetString()}\",status=\"{e.GetProperty("status").GetInt32().ToString(CultureInfo.InvariantCulture)}\"")
            .ToDictionary(g => g.Key, g => (double)g.Count());
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), Samples(scraped, "web_http_responses_total").OrderBy(p => p.Key, StringComparer.Ordinal));

        var durations = written.Select(e => e.GetProperty("duration_ms").GetDouble()).ToList();
        Assert.Equal(durations.Count, Samples(scraped, "web_request_duration_ms_count")[""]);
        Assert.Equal(durations.Sum(), Samples(scraped, "web_request_duration_ms_sum")[""], 6);
        var buckets = Samples(scraped, "web_request_duration_ms_bucket");
        foreach (var bound in new[] { 10, 50, 250 })
        {
            Assert.Equal(durations.Count(d => d <= bound), buckets[$"le=\"{bound.ToString(CultureInfo.InvariantCulture)}\""]);
        }
        Assert.Contains("pipeline_log_to_metric_skipped_events_total{pipeline=\"l2m-e2e\",component_id=\"metrics\",component_kind=\"processor\",metric=\"web_http_responses_total\",reason=\"series_limit\"} 0",
            scraped, StringComparison.Ordinal);
    }
}
