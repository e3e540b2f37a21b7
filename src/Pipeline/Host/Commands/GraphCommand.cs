using System.CommandLine;
using Pipeline.Topology;

namespace Pipeline.Host.Commands;

/// <summary><c>pipeline graph [FILE] [--format dot|mermaid]</c>: the topology as a graph on stdout.</summary>
internal static class GraphCommand
{
    public static Command Create(CliContext context)
    {
        var format = new Option<string>("--format", "-f")
        {
            Description = "dot (Graphviz) or mermaid (a flowchart).",
            DefaultValueFactory = _ => "dot",
        };
        format.AcceptOnlyFromAmong("dot", "mermaid");
        var graph = new Command("graph", "Print the topology's graph: sources, stages and sinks, with named outputs on the edges.") { format };
        var options = CliOptions.AddTo(graph, adminAddress: false);
        graph.SetAction(parse =>
        {
            var loaded = options.Load(parse, context);
            if (loaded.Config is not { } config)
            {
                loaded.WriteErrors(parse.InvocationConfiguration.Error);
                return ExitCodes.ConfigError;
            }
            parse.InvocationConfiguration.Output.Write(parse.GetValue(format) == "mermaid" ? GraphRenderer.RenderMermaid(config) : GraphRenderer.RenderDot(config));
            return ExitCodes.Ok;
        });
        return graph;
    }
}
