using Pipeline.Host;
using Pipeline.Topology;
using Spectre.Console.Testing;

namespace Pipeline.Tests.Inspect;

/// <summary>One frame of pipeline top, rendered from a snapshot into Spectre.Console's test console.</summary>
public sealed class TopViewTests
{
    private static readonly TopologySnapshot Snapshot = new(
        "shop",
        Ready: false,
        FailureReason: "stage 'enrich' failed: boom",
        [
            new TopologyNode("ingest", "source", "http", "running", 1, 5000, 4990, 10, 0, 0, 0, ReceivedPerSecond: 1250, SentPerSecond: 1247.6, ErrorsPerSecond: 2.5),
            new TopologyNode("enrich", "processor", "remap", "failed", 4, 4990, 4000, 3, 0, 7, 972, ReceivedPerSecond: 1247.6, SentPerSecond: 12.4,
                P95Seconds: 0.0042, MailboxCapacity: 1024),
            new TopologyNode("out", "sink", "http", "running", 2, 4000, 4000, 0, 0, 0, 0, ReceivedPerSecond: 0.5, SentPerSecond: 0.5,
                P95Seconds: 0.00025, MailboxCapacity: 512),
        ],
        []);

    [Fact]
    public void Every_component_is_a_row_with_its_rates_errors_mailbox_fill_p95_isolates_and_state()
    {
        var console = new TestConsole().Width(160);

        console.Write(TopView.Render(Snapshot));

        var lines = console.Lines.Select(l => l.TrimEnd()).ToList();
        var header = lines.Single(l => l.Contains("COMPONENT", StringComparison.Ordinal));
        Assert.Equal(TopView.Columns, header.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(
            ["ingest", "source", "http", "1250", "1248", "10", "(2.5/s)", "0", "-", "-", "1", "running"],
            Cells(lines, "ingest"));
        Assert.Equal(
            ["enrich", "stage", "remap", "1248", "12.4", "3", "7", "972/1024", "95%", "4.2", "ms", "4", "failed"],
            Cells(lines, "enrich"));
        Assert.Equal(
            ["out", "sink", "http", "0.5", "0.5", "0", "0", "0/512", "0%", "250", "µs", "2", "running"],
            Cells(lines, "out"));
        Assert.Contains(lines, l => l.Contains("pipeline shop: not ready", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("stage 'enrich' failed: boom", StringComparison.Ordinal));
    }

    private static string[] Cells(List<string> lines, string id)
        => lines.Single(l => l.TrimStart().StartsWith(id + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
