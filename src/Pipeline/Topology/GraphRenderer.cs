using System.Text;
using Pipeline.Components;
using Pipeline.Config;

namespace Pipeline.Topology;

/// <summary>
/// Draws a validated topology as Graphviz DOT or a Mermaid flowchart: nodes labelled <c>id (type)</c>, shaped by kind
/// (sources as stadiums/ellipses, stages as boxes, sinks as hexagons), edges labelled with the named output they take.
/// </summary>
public static class GraphRenderer
{
    public static string RenderDot(PipelineConfig config)
    {
        var sb = new StringBuilder();
        sb.Append("digraph ").Append(DotQuote(config.Name)).Append(" {\n");
        sb.Append("  rankdir=LR;\n");
        foreach (var component in config.Components)
        {
            var shape = component.Kind switch
            {
                ComponentKind.Source => "ellipse",
                ComponentKind.Processor => "box",
                _ => "hexagon",
            };
            sb.Append("  ").Append(DotQuote(component.Id))
                .Append(" [label=").Append(DotQuote($"{component.Id} ({component.Type})"))
                .Append(", shape=").Append(shape).Append("];\n");
        }
        foreach (var (producer, consumer, output) in Edges(config))
        {
            sb.Append("  ").Append(DotQuote(producer)).Append(" -> ").Append(DotQuote(consumer));
            if (output is not null)
            {
                sb.Append(" [label=").Append(DotQuote(output)).Append(']');
            }
            sb.Append(";\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    public static string RenderMermaid(PipelineConfig config)
    {
        // Mermaid node ids are generated because a component id may be a Mermaid keyword ("end") or hold characters
        // its grammar rejects; the label carries the real id.
        var nodeIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.Append("flowchart LR\n");
        foreach (var component in config.Components)
        {
            var nodeId = "n" + nodeIds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            nodeIds.Add(component.Id, nodeId);
            var label = MermaidQuote($"{component.Id} ({component.Type})");
            sb.Append("  ").Append(nodeId).Append(component.Kind switch
            {
                ComponentKind.Source => $"([{label}])",
                ComponentKind.Processor => $"[{label}]",
                _ => $"{{{{{label}}}}}",
            }).Append('\n');
        }
        foreach (var (producer, consumer, output) in Edges(config))
        {
            sb.Append("  ").Append(nodeIds[producer]).Append(" -->");
            if (output is not null)
            {
                sb.Append('|').Append(MermaidQuote(output)).Append('|');
            }
            sb.Append(' ').Append(nodeIds[consumer]).Append('\n');
        }
        return sb.ToString();
    }

    private static IEnumerable<(string Producer, string Consumer, string? Output)> Edges(PipelineConfig config)
    {
        foreach (var consumer in config.Components)
        {
            foreach (var input in consumer.Inputs)
            {
                yield return (input.ComponentId, consumer.Id, input.Output);
            }
        }
    }

    private static string DotQuote(string text)
        => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string MermaidQuote(string text)
        => "\"" + text.Replace("\"", "#quot;", StringComparison.Ordinal) + "\"";
}
