using System.Globalization;
using Pipeline.Topology;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pipeline.Host;

/// <summary>One frame of <c>pipeline top</c>: a table of every component of a <see cref="TopologySnapshot"/>.</summary>
internal static class TopView
{
    public static readonly string[] Columns =
        ["COMPONENT", "KIND", "TYPE", "IN/S", "OUT/S", "ERRORS", "DEAD-LETTERED", "MAILBOX", "P95", "ISOLATES", "STATUS"];

    public static IRenderable Render(TopologySnapshot snapshot, string? problem = null)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in Columns)
        {
            table.AddColumn(new TableColumn(column) { Alignment = column is "COMPONENT" or "KIND" or "TYPE" or "STATUS" ? Justify.Left : Justify.Right });
        }
        foreach (var node in snapshot.Nodes)
        {
            table.AddRow(
                Markup.Escape(node.Id),
                // The config's word: /topology says processor (its node-graph and metric label), YAML says stages.
                node.Kind == "processor" ? "stage" : node.Kind,
                Markup.Escape(node.Type),
                Rate(node.ReceivedPerSecond),
                Rate(node.SentPerSecond),
                Errors(node),
                node.DeadLettered == 0 ? "0" : $"[yellow]{node.DeadLettered.ToString(CultureInfo.InvariantCulture)}[/]",
                Mailbox(node),
                node.P95Seconds is { } p95 ? Duration(p95) : "-",
                node.Isolates.ToString(CultureInfo.InvariantCulture),
                node.State == "failed" ? "[red]failed[/]" : node.State);
        }
        var ready = snapshot.Ready ? "[green]ready[/]" : "[yellow]not ready[/]";
        table.Title = new TableTitle($"pipeline {Markup.Escape(snapshot.Pipeline)}: {ready}");
        var caption = problem ?? snapshot.FailureReason;
        if (caption is not null)
        {
            table.Caption = new TableTitle($"[red]{Markup.Escape(caption)}[/]");
        }
        return table;
    }

    private static string Rate(double perSecond) => perSecond.ToString(perSecond >= 100 ? "0" : "0.#", CultureInfo.InvariantCulture);

    private static string Errors(TopologyNode node)
    {
        var total = node.Errors.ToString(CultureInfo.InvariantCulture);
        return node.ErrorsPerSecond > 0 ? $"[red]{total} ({Rate(node.ErrorsPerSecond)}/s)[/]" : total;
    }

    private static string Mailbox(TopologyNode node)
    {
        if (node.MailboxCapacity <= 0)
        {
            return "-";
        }
        var fill = (double)node.MailboxDepth / node.MailboxCapacity;
        var text = string.Create(CultureInfo.InvariantCulture, $"{node.MailboxDepth}/{node.MailboxCapacity} {fill:0%}");
        // A mailbox that stays nearly full is the stage holding up everything before it.
        return fill >= 0.9 ? $"[red]{text}[/]" : fill >= 0.5 ? $"[yellow]{text}[/]" : text;
    }

    private static string Duration(double seconds) => seconds switch
    {
        < 0.001 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:0} µs"),
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1000:0.#} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.##} s"),
    };
}
