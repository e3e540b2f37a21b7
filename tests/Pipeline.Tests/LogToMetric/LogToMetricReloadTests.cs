using Pipeline.Config;
using Pipeline.Host;
using Pipeline.Tests.EndToEnd;
using Pipeline.Topology;
using static Pipeline.Tests.LogToMetric.DerivedMetricsText;

namespace Pipeline.Tests.LogToMetric;

/// <summary>What a topology reload does to the metrics a log_to_metric stage derives.</summary>
public sealed class LogToMetricReloadTests : IAsyncDisposable
{
    private const string Counting = """
        data_dir: {dir}
        sources:
          gen: {type: generator, rate: 500}
        stages:
          l2m:
            type: log_to_metric
            inputs: [gen]
            metrics:
              - { type: counter, field: .level, name: app_log_events_total, tags: { level: "{{ .level }}" } }
        sinks:
          out: {type: blackhole, inputs: [l2m]}
        """;

    private readonly EndToEndHarness _harness = new();
    private RunningTopology? _topology;
    private TopologyReloader? _reloader;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        _reloader?.Dispose();
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
        _harness.Dispose();
    }

    [Fact]
    public async Task A_changed_stage_that_keeps_a_metric_continues_its_series_and_a_removed_stage_takes_them_away()
    {
        Write(Counting);
        _topology = _harness.Build(ConfigLoader.LoadFile(_harness.PathOf("pipeline.yaml"), BuiltInComponents.Create(), new Dictionary<string, string>()));
        await _topology.StartAsync(Ct);
        _reloader = new TopologyReloader(_topology, BuiltInComponents.Create(), _harness.Metrics.ForReloads("pipeline"), _harness.Logger, new Dictionary<string, string>());
        var before = await UntilAsync(total => total > 0);

        Write(Counting.Replace("""name: app_log_events_total, tags""", """name: app_log_events_total, max_series: 50, tags""", StringComparison.Ordinal));
        Assert.Equal(ReloadAnswer.AppliedResult, (await _reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct)).Result);
        await UntilAsync(total => total > before + 10);

        Write("""
            data_dir: {dir}
            sources:
              gen: {type: generator, rate: 500}
            sinks:
              out: {type: blackhole, inputs: [gen]}
            """);
        Assert.Equal(ReloadAnswer.AppliedResult, (await _reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct)).Result);
        await UntilAsync(total => total == 0);
    }

    private void Write(string yaml) => File.WriteAllText(_harness.PathOf("pipeline.yaml"), yaml.Replace("{dir}", _harness.Directory, StringComparison.Ordinal));

    /// <summary>Polls /metrics' text until the sum of app_log_events_total's series satisfies <paramref name="condition"/>; a decrease fails at once.</summary>
    private async Task<double> UntilAsync(Func<double, bool> condition)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(EndToEndHarness.HangGuard);
        while (true)
        {
            var total = Samples(await ScrapeAsync(_harness.Metrics), "app_log_events_total").Values.Sum();
            if (condition(total))
            {
                return total;
            }
            await Task.Delay(10, guard.Token);
        }
    }
}
