using Pipeline.IntegrationTests.Backends;
using Pipeline.Tests.Deploy;

namespace Pipeline.IntegrationTests;

/// <summary>
/// e) Alerts, evaluated by the real Prometheus over the real metrics. The stack loads the shipped rules with every
/// alert's <c>for:</c> shortened to <see cref="ObservedStack.ShortFor"/> (the only change; see
/// <see cref="PrometheusServer.RepositoryRulesWithShortFor"/>), so an alert that would fire after minutes in
/// production fires here in seconds. The sick pipeline and a target nobody listens on drive every alert to firing;
/// the normal pipeline under its steady load, with the same short <c>for:</c>, fires none and has none pending.
/// </summary>
[Collection(ObservedStackCollection.Name)]
public sealed class AlertScenarioTests(ObservedStack stack)
{
    [Fact]
    public async Task Every_alert_fires_for_the_sick_pipeline_or_the_down_target()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var names = PrometheusRuleFiles.Alerts().Select(a => (string)a["alert"]!).Distinct().Order(StringComparer.Ordinal).ToList();
        var firing = await Poll.LastAsync(async () => (await stack.Prometheus.AlertsAsync()).Where(a => a.State == "firing").Select(a => a.Name).ToHashSet(StringComparer.Ordinal),
            f => names.All(f.Contains), TimeSpan.FromSeconds(150), TimeSpan.FromSeconds(2));
        var notFiring = names.Where(n => !firing.Contains(n)).ToList();
        Assert.True(notFiring.Count == 0, $"{names.Count - notFiring.Count}/{names.Count} alerts fired; not firing: {string.Join(", ", notFiring)}");
    }

    [Fact]
    public async Task No_alert_fires_or_is_pending_for_the_normal_pipeline()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        // Wait until the rules have evaluated the normal pipeline's traffic for 30 s, several times the shortened
        // for: (30 evaluations of its recorded rate), so anything that would fire has had the time to.
        await Poll.UntilAsync(() => stack.Prometheus.QueryAsync("count_over_time(component:pipeline_component_sent_events:rate5m{pipeline=\"it-normal\"}[1m]) >= 30"),
            found => found.Count > 0, TimeSpan.FromSeconds(120), "30 s of the normal pipeline's recorded rates", TimeSpan.FromSeconds(2));
        var ofNormal = (await stack.Prometheus.AlertsAsync())
            .Where(a => a.Labels.GetValueOrDefault("pipeline") == "it-normal" || a.Labels.GetValueOrDefault("instance") == stack.Normal.AdminTarget)
            .Select(a => $"{a.Name} ({a.State})").ToList();
        Assert.True(ofNormal.Count == 0, $"alerts for the normal pipeline: {string.Join(", ", ofNormal)}");
        // And none of them was ever active over the run: ALERTS keeps pending and firing states as series.
        var ever = await stack.Prometheus.QueryAsync($"count_over_time(ALERTS{{pipeline=\"it-normal\"}}[30m]) or count_over_time(ALERTS{{instance=\"{stack.Normal.AdminTarget}\"}}[30m])");
        Assert.True(ever.Count == 0, $"alerts were active for the normal pipeline during the run: {string.Join(", ", ever.Select(e => e.Label("alertname")))}");
    }
}
