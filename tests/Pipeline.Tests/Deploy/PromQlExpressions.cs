using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// Every PromQL expression the deploy assets hold, Grafana's variables replaced by sample values the way Grafana
/// would before sending them: the rules' expressions, the dashboards' Prometheus targets and the query variables'
/// selectors.
/// </summary>
internal static partial class PromQlExpressions
{
    /// <summary>Grafana's built-in interval variables, as a typical dashboard would expand them.</summary>
    private static readonly Dictionary<string, string> BuiltIns = new(StringComparer.Ordinal)
    {
        ["__rate_interval"] = "1m",
        ["__interval"] = "30s",
        ["__interval_ms"] = "30000",
        ["__range"] = "1h",
        ["__range_s"] = "3600",
        ["__range_ms"] = "3600000",
    };

    public static IEnumerable<(string Where, string Expression)> All() => FromRules().Concat(FromDashboards());

    public static IEnumerable<(string Where, string Expression)> FromRules() =>
        PrometheusRuleFiles.Rules().Select(r =>
            ($"{Path.GetFileName(r.File)}: {(string?)r.Rule["alert"] ?? (string?)r.Rule["record"]}", (string)r.Rule["expr"]!));

    public static IEnumerable<(string Where, string Expression)> FromDashboards()
    {
        foreach (var dashboard in GrafanaDashboard.LoadAll())
        {
            var variables = dashboard.Variables.Select(v => (string)v["name"]!).ToHashSet(StringComparer.Ordinal);
            foreach (var variable in dashboard.Variables.Where(v => (string?)v["type"] == "query"))
            {
                var query = variable["query"] is JsonObject editor ? (string?)editor["query"] : (string?)variable["query"];
                if (VariableQueryExpression(query) is { } expression)
                {
                    yield return ($"{dashboard.FileName}: variable {variable["name"]}", Substitute(expression, variables));
                }
            }
            foreach (var panel in dashboard.Panels)
            {
                foreach (var target in GrafanaDashboard.Targets(panel))
                {
                    var type = (string?)(target["datasource"] ?? panel["datasource"])?["type"];
                    if (type == "prometheus" && (string?)target["expr"] is { Length: > 0 } expr)
                    {
                        yield return ($"{dashboard.Describe(panel)} target {target["refId"]}", Substitute(expr, variables));
                    }
                }
            }
        }
    }

    /// <summary>Replaces $name, ${name} and ${name:format} of the dashboard's variables and Grafana's built-ins.</summary>
    /// <remarks>Other dollar signs ($1 in label_replace) are left alone, as Grafana leaves them.</remarks>
    public static string Substitute(string expression, IReadOnlySet<string> dashboardVariables) =>
        VariableReference().Replace(expression, match =>
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["bare"].Value;
            if (BuiltIns.TryGetValue(name, out var builtIn))
            {
                return builtIn;
            }
            return dashboardVariables.Contains(name) ? "sample" : match.Value;
        });

    /// <summary>
    /// The PromQL inside a Prometheus variable query: label_values(selector, label) holds a selector,
    /// query_result(expr) an expression; label_values(label) and metrics(regex) hold none.
    /// </summary>
    private static string? VariableQueryExpression(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return null;
        }
        var labelValues = LabelValuesWithSelector().Match(query);
        if (labelValues.Success)
        {
            return labelValues.Groups["selector"].Value;
        }
        var queryResult = QueryResult().Match(query);
        if (queryResult.Success)
        {
            return queryResult.Groups["expr"].Value;
        }
        return query.StartsWith("label_values(", StringComparison.Ordinal) || query.StartsWith("metrics(", StringComparison.Ordinal) || query.StartsWith("label_names(", StringComparison.Ordinal)
            ? null
            : query;
    }

    [GeneratedRegex(@"\$\{(?<braced>\w+)(?::[^}]*)?\}|\$(?<bare>[A-Za-z_]\w*)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"^\s*label_values\((?<selector>.+),\s*\w+\s*\)\s*$", RegexOptions.Singleline)]
    private static partial Regex LabelValuesWithSelector();

    [GeneratedRegex(@"^\s*query_result\((?<expr>.+)\)\s*$", RegexOptions.Singleline)]
    private static partial Regex QueryResult();
}
