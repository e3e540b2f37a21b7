using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Serilog;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// A running topology rewired to a new config while events flow: unchanged components keep their instances and
/// mailboxes, changed ones are replaced, removed ones drained, added ones started, and no accepted event is lost.
/// Configs are made in code; a component's fingerprint stands for its YAML body.
/// </summary>
public sealed class ReloadTests : IAsyncDisposable
{
    private static readonly FieldPath Tag = FieldPath.Parse(".tag");
    private static readonly FieldPath Count = FieldPath.Parse(".count");

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-reload-").FullName;
    private readonly PipelineMetrics _metrics = PipelineMetrics.CreateIsolated();
    private RunningTopology? _topology;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DeadLetterPath => Path.Combine(_directory, "dead-letter.jsonl");

    public async ValueTask DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Replacing_one_stage_keeps_the_unchanged_stage_its_instance_and_its_mailbox_and_delivers_every_event_exactly_once()
    {
        var source = new ControlledSource();
        var counting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = 0;
        // Stateful: numbers the events it sees. A new instance would start again at 1.
        var count = new DelegateProcessorFactory(async (evt, output, _) =>
        {
            entered.TrySetResult();
            await counting.Task;
            evt.SetNumber(Count, ++seen);
            output.Emit(evt);
        });
        var sink = new RecordingSink();
        var first = Config(
            Component("in", ComponentKind.Source, source, [], "in"),
            Component("tag", ComponentKind.Processor, Tagging("v1"), ["in"], "tag v1"),
            Component("count", ComponentKind.Processor, count, ["tag"], "count"),
            Component("out", ComponentKind.Sink, sink, ["count"], "out"));
        var topology = await StartAsync(first);
        var context = await source.Context.Guarded();
        for (var seq = 1; seq <= 50; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }
        await entered.Task.Guarded();

        var next = first with { Components = [first.Components[0], Component("tag", ComponentKind.Processor, Tagging("v2"), ["in"], "tag v2"), first.Components[2], first.Components[3]] };
        var diff = TopologyDiff.Between(first, next);
        var sending = Task.Run(async () =>
        {
            for (var seq = 51; seq <= 100; seq++)
            {
                Assert.True(await context.SendAsync(Seq(seq), default, Ct));
            }
        }, Ct);
        Assert.True(await topology.ApplyAsync(next, diff).Guarded());
        await sending.Guarded();
        Assert.True(await context.SendAsync(Seq(101), default, Ct).Guarded());
        counting.TrySetResult();
        await TestWaits.UntilAsync(() => sink.Delivered.Count >= 101);

        Assert.Equal(["tag"], diff.Changed);
        Assert.Equal(["in", "count", "out"], diff.Unchanged);
        Assert.Equal(Enumerable.Range(1, 101), Seqs(sink.Delivered).Order());
        Assert.Equal(1, count.Created);
        Assert.Equal(Enumerable.Range(1, 101), sink.Delivered.Select(json => Field(json, "count").GetInt32()).Order());
        Assert.Equal("v2", Field(sink.Delivered.Single(json => SeqOf(json) == 101), "tag").GetString());
        Assert.All(sink.Delivered.Where(json => SeqOf(json) <= 50), json => Assert.Equal("v1", Field(json, "tag").GetString()));
        Assert.False(File.Exists(DeadLetterPath), "nothing was dead-lettered");
        Assert.Equal(["in", "tag", "count", "out"], topology.Snapshot().Nodes.Select(n => n.Id));
    }

    [Fact]
    public async Task A_removed_sink_drains_what_it_holds_and_receives_nothing_more()
    {
        var source = new ControlledSource();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var removed = new RecordingSink { BeforeWrite = async (_, _) => await gate.Task };
        var kept = new RecordingSink();
        var first = Config(
            Component("in", ComponentKind.Source, source, [], "in"),
            Component("old", ComponentKind.Sink, removed, ["in"], "old"),
            Component("keep", ComponentKind.Sink, kept, ["in"], "keep"));
        var topology = await StartAsync(first);
        var context = await source.Context.Guarded();
        for (var seq = 1; seq <= 20; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }

        var next = first with { Components = [first.Components[0], first.Components[2]] };
        var diff = TopologyDiff.Between(first, next);
        Assert.True(await topology.ApplyAsync(next, diff).Guarded());
        for (var seq = 21; seq <= 30; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }
        gate.TrySetResult();
        await TestWaits.UntilAsync(() => removed.Delivered.Count >= 20 && kept.Delivered.Count >= 30);
        await TestWaits.UntilAsync(() => removed.Flushes > 0);

        Assert.Equal(["old"], diff.Removed);
        Assert.Equal(Enumerable.Range(1, 20), Seqs(removed.Delivered).Order());
        Assert.Equal(Enumerable.Range(1, 30), Seqs(kept.Delivered).Order());
        Assert.DoesNotContain(topology.Snapshot().Nodes, n => n.Id == "old");
        Assert.DoesNotContain(topology.Snapshot().Edges, e => e.To == "old");
        var edgeSeries = (await MetricsTextAsync()).Split('\n').Where(l => l.StartsWith("pipeline_topology_edge{", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(edgeSeries, l => l.Contains("\"old\"", StringComparison.Ordinal));
        Assert.Contains(edgeSeries, l => l.Contains("\"keep\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_added_stage_and_sink_receive_the_events_sent_after_the_reload()
    {
        var source = new ControlledSource();
        var kept = new RecordingSink();
        var added = new RecordingSink();
        var first = Config(
            Component("in", ComponentKind.Source, source, [], "in"),
            Component("out", ComponentKind.Sink, kept, ["in"], "out"));
        var topology = await StartAsync(first);
        var context = await source.Context.Guarded();
        Assert.True(await context.SendAsync(Seq(1), default, Ct).Guarded());

        var next = first with
        {
            Components = [.. first.Components, Component("mark", ComponentKind.Processor, Tagging("new"), ["in"], "mark"), Component("more", ComponentKind.Sink, added, ["mark"], "more")],
        };
        var diff = TopologyDiff.Between(first, next);
        Assert.True(await topology.ApplyAsync(next, diff).Guarded());
        for (var seq = 2; seq <= 10; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq), default, Ct).Guarded());
        }
        await TestWaits.UntilAsync(() => kept.Delivered.Count >= 10 && added.Delivered.Count >= 9);

        Assert.Equal(["mark", "more"], diff.Added);
        Assert.Equal(Enumerable.Range(1, 10), Seqs(kept.Delivered).Order());
        Assert.Equal(Enumerable.Range(2, 9), Seqs(added.Delivered).Order());
        Assert.All(added.Delivered, json => Assert.Equal("new", Field(json, "tag").GetString()));
        Assert.Contains(topology.Snapshot().Edges, e => e.From == "mark" && e.To == "more");
    }

    [Fact]
    public async Task A_replaced_source_stops_as_on_shutdown_and_its_successor_feeds_the_same_stages()
    {
        var oldSource = new ControlledSource();
        var newSource = new ControlledSource();
        var sink = new RecordingSink();
        var first = Config(
            Component("in", ComponentKind.Source, oldSource, [], "in v1"),
            Component("out", ComponentKind.Sink, sink, ["in"], "out"));
        var topology = await StartAsync(first);
        var oldContext = await oldSource.Context.Guarded();
        Assert.True(await oldContext.SendAsync(Seq(1), default, Ct).Guarded());

        var next = first with { Components = [Component("in", ComponentKind.Source, newSource, [], "in v2"), first.Components[1]] };
        Assert.True(await topology.ApplyAsync(next, TopologyDiff.Between(first, next)).Guarded());
        var newContext = await newSource.Context.Guarded();
        Assert.True(await newContext.SendAsync(Seq(2), default, Ct).Guarded());
        await TestWaits.UntilAsync(() => sink.Delivered.Count >= 2);

        Assert.False(await oldContext.SendAsync(Seq(3), default, Ct).Guarded(), "the replaced source was stopped");
        Assert.Equal([1, 2], Seqs(sink.Delivered).Order());
        Assert.True(topology.IsReady);
    }

    [Fact]
    public async Task A_reload_after_a_stop_began_changes_nothing()
    {
        var source = new ControlledSource();
        var first = Config(
            Component("in", ComponentKind.Source, source, [], "in"),
            Component("out", ComponentKind.Sink, new RecordingSink(), ["in"], "out"));
        var topology = await StartAsync(first);
        var next = first with { Components = [.. first.Components, Component("more", ComponentKind.Sink, new RecordingSink(), ["in"], "more")] };

        var stopping = topology.StopAsync(TestPipeline.HangGuard);
        var applied = await topology.ApplyAsync(next, TopologyDiff.Between(first, next)).Guarded();
        await stopping.Guarded();

        Assert.False(applied);
        Assert.True(topology.IsStopping);
        Assert.Equal(["in", "out"], topology.Snapshot().Nodes.Select(n => n.Id));
    }

    private async Task<string> MetricsTextAsync()
    {
        using var text = new MemoryStream();
        await _metrics.Registry.CollectAndExportAsTextAsync(text, Ct);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    private async Task<RunningTopology> StartAsync(PipelineConfig config)
    {
        _topology = RunningTopology.Build(config, _metrics, new LoggerConfiguration().CreateLogger());
        await _topology.StartAsync(Ct);
        return _topology;
    }

    private PipelineConfig Config(params ComponentConfig[] components) => new()
    {
        File = "<test>",
        Components = components,
        DataDirectory = _directory,
        DeadLetterPath = DeadLetterPath,
        ShutdownTimeout = TestPipeline.HangGuard,
    };

    private static ComponentConfig Component(string id, ComponentKind kind, object factory, string[] inputs, string fingerprint)
    {
        var type = kind switch { ComponentKind.Source => "test_source", ComponentKind.Processor => "test_processor", _ => "test_sink" };
        Assert.True(TestComponents.Catalog.TryGet(kind, type, out var descriptor));
        return new ComponentConfig
        {
            Id = id,
            Kind = kind,
            Descriptor = descriptor,
            Options = descriptor.CreateDefaultOptions(),
            Factory = factory,
            Inputs = [.. inputs.Select(input => new InputReference(input, null, new SourceMark("<test>", 1, 1)))],
            Stage = TestPipeline.Settings(mailbox: 256),
            Mark = new SourceMark("<test>", 1, 1),
            Fingerprint = fingerprint,
        };
    }

    private static DelegateProcessorFactory Tagging(string tag) => new((evt, output, _) =>
    {
        evt.SetString(Tag, tag);
        output.Emit(evt);
        return ValueTask.CompletedTask;
    });

    private static System.Text.Json.JsonElement Field(string json, string name)
        => System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty(name).Clone();
}
