using System.Text.Json.Nodes;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>deploy/prometheus: the two configs, the rule files and the promtool unit tests.</summary>
internal static class PrometheusRuleFiles
{
    public static string Directory => RepositoryRoot.Combine("deploy", "prometheus");

    public static IReadOnlyList<string> Configs { get; } = ["prometheus.yml", "prometheus.compose.yml"];

    public static IReadOnlyList<string> RuleFiles =>
        [.. System.IO.Directory.GetFiles(System.IO.Path.Combine(Directory, "rules"), "*.yml").Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> UnitTestFiles =>
        [.. System.IO.Directory.GetFiles(System.IO.Path.Combine(Directory, "tests"), "*.yml").Order(StringComparer.Ordinal)];

    /// <summary>Every rule of every group of every rule file, with the file it came from.</summary>
    public static IEnumerable<(string File, JsonObject Rule)> Rules() =>
        from file in RuleFiles
        from grp in YamlTree.LoadFile(file)["groups"]!.AsArray()
        from rule in grp!["rules"]!.AsArray()
        select (file, rule!.AsObject());

    public static IEnumerable<JsonObject> Alerts() =>
        Rules().Select(r => r.Rule).Where(rule => rule["alert"] is not null);
}
