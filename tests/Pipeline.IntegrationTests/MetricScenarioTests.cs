using System.Globalization;
using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Deploy;

namespace Pipeline.IntegrationTests;

/// <summary>
/// c) Metrics, read back from a real Prometheus: the P95 of a 20 ms stage agrees with its spans, every recording
/// rule produces series, exemplars resolve to traces the OTLP receiver holds, and the libraries' counters are
/// counters.
/// </summary>
[Collection(ObservedStackCollection.Name)]
public sealed class MetricScenarioTests(ObservedStack stack)
{
    private const string WaitStage = "pipeline=\"it-normal\", component_id=\"wait\"";

    [Fact]
    public async Task Prometheus_p95_of_a_fixed_delay_stage_lies_within_one_bucket_of_the_p95_of_its_spans()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var traced = stack.TracedEvents.ToHashSet(StringComparer.Ordinal);
        var spans = await Poll.UntilAsync(stack.Receiver.SpansAsync,
            all => all.Count(s => s.Name == "process wait" && traced.Contains(s.TraceId)) == traced.Count, TimeSpan.FromSeconds(60),
            "the 'process wait' spans of the 200 traced events");
        var durations = spans.Where(s => s.Name == "process wait" && traced.Contains(s.TraceId)).Select(s => s.DurationSeconds).Order().ToList();
        // Nearest-rank P95 of the raw observations.
        var rawP95 = durations[(int)Math.Ceiling(0.95 * durations.Count) - 1];

        // The cumulative buckets since start hold every observation; no rate window to line up.
        var bounds = (await Poll.UntilAsync(() => stack.Prometheus.QueryAsync($"pipeline_stage_duration_seconds_bucket{{{WaitStage}}}"),
                found => found.Count > 0, TimeSpan.FromSeconds(30), "the wait stage's histogram"))
            .Select(s => s.Label("le")).Distinct().Select(ParseBound).Order().ToList();
        var quantile = await stack.Prometheus.QueryAsync($"histogram_quantile(0.95, sum by (le) (pipeline_stage_duration_seconds_bucket{{{WaitStage}}}))");
        var prometheusP95 = Assert.Single(quantile).Value;

        var rawBucket = BucketIndex(bounds, rawP95);
        var prometheusBucket = BucketIndex(bounds, prometheusP95);
        Assert.True(Math.Abs(rawBucket - prometheusBucket) <= 1,
            $"Prometheus P95 {prometheusP95 * 1000:0.###} ms (bucket ≤ {bounds[prometheusBucket]}) vs spans' P95 {rawP95 * 1000:0.###} ms (bucket ≤ {bounds[rawBucket]}): more than one bucket apart; bounds {string.Join(", ", bounds)}");
        TestContext.Current.TestOutputHelper?.WriteLine($"wait stage P95: Prometheus {prometheusP95 * 1000:0.###} ms, spans {rawP95 * 1000:0.###} ms (n={durations.Count})");
    }

    [Fact]
    public async Task The_libraries_counters_are_counters_so_rate_works_and_no_gauge_is_named_like_a_counter()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        // Counted on every ingest request (ASP.NET Core routing) and every span exported (OpenTelemetry SDK). The
        // metadata names metric families, as OpenMetrics does: a counter's family has no _total, its series do.
        string[] counters = ["aspnetcore_routing_match_attempts", "otel_sdk_processor_span_processed"];
        var types = await Poll.LastAsync(stack.Prometheus.MetricTypesAsync,
            found => counters.All(found.ContainsKey) && found.ContainsKey("http_server_request_duration_seconds"), TimeSpan.FromSeconds(30));
        Assert.All(counters, name => Assert.True(types.GetValueOrDefault(name) == "counter",
            $"{name}: {types.GetValueOrDefault(name) ?? "not scraped"}; scraped: {string.Join(", ", types.Where(t => !t.Key.StartsWith("pipeline", StringComparison.Ordinal)).Select(t => $"{t.Key} {t.Value}"))}"));
        Assert.Equal("histogram", types["http_server_request_duration_seconds"]);
        var gaugesNamedLikeCounters = types.Where(t => t.Value == "gauge" && t.Key.EndsWith("_total", StringComparison.Ordinal)).Select(t => t.Key).ToList();
        Assert.True(gaugesNamedLikeCounters.Count == 0, $"gauges named like counters: {string.Join(", ", gaugesNamedLikeCounters)}");
        // The meter's name is not repeated in front of the instrument's.
        Assert.DoesNotContain(types.Keys, name => name.StartsWith("microsoft_", StringComparison.Ordinal) || name.StartsWith("system_", StringComparison.Ordinal));
        var rate = await Poll.UntilAsync(() => stack.Prometheus.QueryAsync("sum(rate(aspnetcore_routing_match_attempts_total[15s]))"),
            found => found.Count == 1 && found[0].Value > 0, TimeSpan.FromSeconds(30), "a rate of the ingest's route matches");
        TestContext.Current.TestOutputHelper?.WriteLine($"route matches of both pipelines: {rate[0].Value:0.##}/s; {types.Count} metric names, {types.Count(t => t.Value == "counter")} counters");
    }

    [Fact]
    public async Task Every_recording_rule_produces_series()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var records = PrometheusRuleFiles.Rules().Select(r => (string?)r.Rule["record"]).OfType<string>().Distinct().ToList();
        Assert.NotEmpty(records);
        async Task<List<string>> EmptyAsync()
        {
            var empty = new List<string>();
            foreach (var record in records)
            {
                if ((await stack.Prometheus.QueryAsync(record)).Count == 0)
                {
                    empty.Add(record);
                }
            }
            return empty;
        }
        var empty = await Poll.LastAsync(EmptyAsync, e => e.Count == 0, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(2));
        Assert.True(empty.Count == 0, $"{records.Count - empty.Count}/{records.Count} recording rules have series; none: {string.Join(", ", empty)}");
    }

    [Fact]
    public async Task Exemplars_name_traces_the_receiver_holds()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var ids = await Poll.UntilAsync(() => stack.Prometheus.ExemplarTraceIdsAsync($"pipeline_stage_duration_seconds_bucket{{pipeline=\"it-normal\"}}", TimeSpan.FromMinutes(30)),
            found => found.Count >= 10, TimeSpan.FromSeconds(60), "exemplars of the normal pipeline's stage histograms");
        var missing = new List<string>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var trace = await Poll.LastAsync(() => stack.Receiver.TraceAsync(id), spans => spans.Count > 0, TimeSpan.FromSeconds(20));
            if (trace.Count == 0)
            {
                missing.Add(id);
            }
        }
        Assert.True(missing.Count == 0, $"{missing.Count} of {ids.Distinct().Count()} exemplar trace ids are unknown to the OTLP receiver: {string.Join(", ", missing.Take(5))}");
        TestContext.Current.TestOutputHelper?.WriteLine($"{ids.Distinct().Count()} exemplar trace ids, all found in the receiver");
    }

    private static double ParseBound(string le) => le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);

    /// <summary>The index of the bucket an observation falls into: the first bound at or above it.</summary>
    private static int BucketIndex(IReadOnlyList<double> bounds, double value)
    {
        for (var i = 0; i < bounds.Count; i++)
        {
            if (value <= bounds[i])
            {
                return i;
            }
        }
        return bounds.Count - 1;
    }
}
