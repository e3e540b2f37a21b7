using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>deploy/prometheus checked by promtool, and the alerts' contract with docs/runbooks.md.</summary>
public sealed partial class PrometheusRulesTests
{
    /// <summary>The alerts issue 4 asks for; more may come, none of these may go.</summary>
    private static readonly string[] RequiredAlerts =
    [
        "PipelineStageLatencyHigh", "PipelineEndToEndLatencyHigh", "PipelineErrorRatioHigh", "PipelineDeadLetters",
        "PipelineBackpressure", "PipelineIsolateRestartLoop", "PipelineSinkDeliveryFailing", "PipelineTelemetryDropped",
        "PipelineTargetDown",
    ];

    [Theory]
    [InlineData("prometheus.yml")]
    [InlineData("prometheus.compose.yml")]
    public async Task Promtool_accepts_the_config_and_finds_its_rule_files(string config)
    {
        var promtool = ExternalTool.Require("promtool", "prometheus");

        var result = await promtool.RunAsync(["check", "config", config], PrometheusRuleFiles.Directory);

        Assert.True(result.Succeeded, result.Transcript);
        // rule_files resolve relative to the config: every rule file must be found and checked through it.
        foreach (var ruleFile in PrometheusRuleFiles.RuleFiles)
        {
            Assert.Contains($"rules/{Path.GetFileName(ruleFile)}", result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Promtool_accepts_every_rule_file()
    {
        var promtool = ExternalTool.Require("promtool", "prometheus");

        var result = await promtool.RunAsync(["check", "rules", .. PrometheusRuleFiles.RuleFiles]);

        Assert.True(result.Succeeded, result.Transcript);
    }

    [Fact]
    public async Task Promtool_unit_tests_pass()
    {
        var promtool = ExternalTool.Require("promtool", "prometheus");

        var result = await promtool.RunAsync(["test", "rules", .. PrometheusRuleFiles.UnitTestFiles]);

        Assert.True(result.Succeeded, result.Transcript);
    }

    [Fact]
    public void Every_required_alert_exists()
    {
        var names = PrometheusRuleFiles.Alerts().Select(a => (string)a["alert"]!).ToHashSet();

        var missing = RequiredAlerts.Where(required => !names.Contains(required)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_a_description_and_a_runbook_anchor_that_exists()
    {
        var runbook = File.ReadAllText(RepositoryRoot.Combine("docs", "runbooks.md"));
        var problems = new List<string>();
        foreach (var alert in PrometheusRuleFiles.Alerts())
        {
            var name = (string)alert["alert"]!;
            var severity = (string?)alert["labels"]?["severity"];
            if (severity is not ("critical" or "warning" or "info"))
            {
                problems.Add($"{name}: severity expected critical, warning or info, found '{severity}'");
            }
            foreach (var annotation in new[] { "summary", "description" })
            {
                if (string.IsNullOrWhiteSpace((string?)alert["annotations"]?[annotation]))
                {
                    problems.Add($"{name}: annotation '{annotation}' is missing");
                }
            }
            var description = (string?)alert["annotations"]?["description"] ?? "";
            if (!description.Contains("$value", StringComparison.Ordinal) && !description.Contains("$labels", StringComparison.Ordinal))
            {
                problems.Add($"{name}: the description should show what fired: $value or the labels");
            }
            var expectedUrl = $"docs/runbooks.md#{name.ToLowerInvariant()}";
            if ((string?)alert["annotations"]?["runbook_url"] != expectedUrl)
            {
                problems.Add($"{name}: runbook_url expected '{expectedUrl}', found '{alert["annotations"]?["runbook_url"]}'");
            }
            // GitHub's anchor for the heading "## PipelineX" is "pipelinex".
            if (!runbook.Contains($"\n## {name}\n", StringComparison.Ordinal))
            {
                problems.Add($"{name}: docs/runbooks.md has no '## {name}' heading for the runbook_url anchor");
            }
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void Every_runbook_entry_belongs_to_an_alert()
    {
        var alerts = PrometheusRuleFiles.Alerts().Select(a => (string)a["alert"]!).ToHashSet();
        var headings = RunbookHeading().Matches(File.ReadAllText(RepositoryRoot.Combine("docs", "runbooks.md"))).Select(m => m.Groups[1].Value);

        var stale = headings.Where(heading => !alerts.Contains(heading)).ToList();
        Assert.Empty(stale);
    }

    [Fact]
    public void Every_alert_has_a_promtool_test_where_it_fires_and_one_where_it_stays_quiet()
    {
        var firing = new HashSet<string>();
        var quiet = new HashSet<string>();
        foreach (var file in PrometheusRuleFiles.UnitTestFiles)
        {
            foreach (var test in YamlTree.LoadFile(file)["tests"]!.AsArray())
            {
                foreach (var check in test!["alert_rule_test"]?.AsArray() ?? [])
                {
                    var name = (string)check!["alertname"]!;
                    var expected = check["exp_alerts"] as JsonArray;
                    (expected is { Count: > 0 } ? firing : quiet).Add(name);
                }
            }
        }

        var alerts = PrometheusRuleFiles.Alerts().Select(a => (string)a["alert"]!).ToList();
        Assert.Empty(alerts.Where(a => !firing.Contains(a)).Select(a => $"{a}: no test where it fires"));
        Assert.Empty(alerts.Where(a => !quiet.Contains(a)).Select(a => $"{a}: no test where it stays quiet"));
    }

    [GeneratedRegex(@"^## (\S+)$", RegexOptions.Multiline)]
    private static partial Regex RunbookHeading();
}
