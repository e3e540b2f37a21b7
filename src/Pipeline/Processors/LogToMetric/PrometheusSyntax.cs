namespace Pipeline.Processors.LogToMetric;

/// <summary>
/// Prometheus's name rules (https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels), checked at
/// build time so a bad name is a config error with its line, not a failed scrape.
/// </summary>
internal static class PrometheusSyntax
{
    public static bool IsMetricName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] is '_' or ':'))
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Names starting with __ are reserved for Prometheus's own use.</summary>
    public static bool IsLabelName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || name.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }
        return true;
    }
}
