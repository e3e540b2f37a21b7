using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sinks.Loki;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Loki;

/// <summary>The loki sink in a running topology: what the sink isolate makes of Loki's per-entry refusals, and the stage's metrics.</summary>
public sealed class LokiSinkTopologyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_entry_loki_refuses_as_too_far_behind_is_dead_lettered_alone_and_the_stored_ones_are_not_sent_again()
    {
        await using var loki = await FakeLoki.StartAsync();
        loki.Answer = (400, "entry with timestamp 2025-03-01 09:00:00 +0000 UTC ignored, reason: 'entry too far behind, oldest acceptable timestamp is: 2025-03-01T09:30:00Z',\ntotal ignored: 1 out of 3", null);
        var source = new ControlledSource();
        var settings = TestPipeline.Settings(batchSize: 3);
        settings.BatchTimeout = TimeSpan.FromHours(1);
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", new LokiSinkConfig { Endpoint = loki.Endpoint.ToString(), Labels = new() { ["app"] = "{{ .app }}" } }.Build(new ComponentContext("out", "test", Path.GetTempPath())), ["in"], settings);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        string[] times = ["2025-03-01T10:00:00Z", "2025-03-01T09:00:00Z", "2025-03-01T10:00:01Z"];
        for (var seq = 1; seq <= 3; seq++)
        {
            var evt = Event.Parse($$"""{"seq":{{seq}},"app":"checkout","timestamp":"{{times[seq - 1]}}"}""");
            Assert.Equal(SendResult.Accepted, await context.SendWithinAsync(evt, default, Timeout.InfiniteTimeSpan, batch, seq, Ct));
        }
        batch.Seal();
        var result = await batch.Completion.Guarded();

        Assert.Equal((2, 1), (result.Delivered, result.DeadLettered));
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal(2, record.GetProperty("event").GetProperty("seq").GetInt32());
        Assert.Contains("entry too far behind", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Single(loki.Pushes);
        Assert.Equal(2, pipeline.MetricsOf("out", "sink").Sent.Value);
        // The runtime started the sink's shared state: its label bound counts into the pipeline's registry.
        using var scrape = new MemoryStream();
        await pipeline.Metrics.Registry.CollectAndExportAsTextAsync(scrape, Ct);
        Assert.Contains(Observability.Exposition.Parse(System.Text.Encoding.UTF8.GetString(scrape.ToArray())).Samples,
            s => s.Name == "pipeline_loki_label_values_over_limit_total" && s.Labels["component_id"] == "out" && s.Labels["label"] == "app");
    }
}
