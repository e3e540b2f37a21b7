using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Sinks.Kafka;
using Pipeline.Tests.Runtime;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Kafka;

/// <summary>The kafka sink in a running topology: the sink isolate's partial delivery, retries and backpressure.</summary>
public sealed class KafkaSinkTopologyTests : IDisposable
{
    private readonly MockKafkaCluster _cluster = new();
    private readonly string _topic = "events-" + Guid.NewGuid().ToString("N")[..8];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task A_poison_event_is_dead_lettered_alone_with_kafkas_reason_and_the_rest_delivered_once()
    {
        var source = new ControlledSource();
        var settings = TestPipeline.Settings(batchSize: 5);
        settings.BatchTimeout = TimeSpan.FromHours(1);
        await using var pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", Build(c => c.LibrdkafkaOptions["message.max.bytes"] = "2000"), ["in"], settings);
        await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        var batch = context.BeginBatch()!;
        for (var seq = 1; seq <= 5; seq++)
        {
            var evt = seq == 3 ? Event.Parse($$"""{"seq":3,"blob":"{{new string('x', 5000)}}"}""") : Seq(seq);
            Assert.Equal(SendResult.Accepted, await context.SendWithinAsync(evt, default, Timeout.InfiniteTimeSpan, batch, seq, Ct));
        }
        batch.Seal();
        var result = await batch.Completion.Guarded();

        Assert.Equal((4, 1), (result.Delivered, result.DeadLettered));
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal(3, record.GetProperty("event").GetProperty("seq").GetInt32());
        Assert.Contains("MsgSizeTooLarge", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var produced = ProducedRecords.Read(_cluster.BootstrapServers, _topic, atLeast: 4);
        Assert.Equal([1, 2, 4, 5], produced.Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))).Order());
        // The sink isolate hands each event's trace context on: every record carries one.
        Assert.All(produced, r => Assert.True(r.Message.Headers.TryGetLastBytes("traceparent", out _)));
        Assert.Equal(4, pipeline.MetricsOf("out", "sink").Sent.Value);
    }

    [Fact]
    public async Task A_cluster_outage_holds_the_sinks_batches_and_backpressure_reaches_the_source_without_dead_letters()
    {
        var source = new ControlledSource();
        var settings = TestPipeline.Settings(mailbox: 2, batchSize: 1);
        // As configured by default: a sink retries an outage for as long as it lasts.
        settings.MaxAttempts = null;
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Sink("out", Build(c => c.MessageTimeout = TimeSpan.FromMilliseconds(300)), ["in"], settings);
        var topology = await pipeline.StartAsync(shutdownTimeout: TimeSpan.FromSeconds(1));
        var context = await source.Context.Guarded();
        _cluster.Dispose();

        var accepted = 0;
        SendResult result;
        while ((result = await context.SendWithinAsync(Seq(accepted), default, TimeSpan.FromMilliseconds(200), Ct).Guarded()) == SendResult.Accepted)
        {
            Assert.True(++accepted < 50, "the source was never held back");
        }

        Assert.Equal(SendResult.Backpressure, result);
        // The attempt in flight, the mailbox and the router's hand-off hold what was accepted; nothing is dropped.
        await TestWaits.UntilAsync(() => pipeline.Log.Events.Any(e => $"{e.RenderMessage()} {e.Exception}".Contains("Local_MsgTimedOut", StringComparison.Ordinal)));
        Assert.Empty(pipeline.DeadLetters());
        Assert.Equal(0, pipeline.MetricsOf("out", "sink").Sent.Value);
        Assert.Equal(0, pipeline.MetricsOf("out", "sink").DeadLettered.Value);
    }

    private ISinkFactory Build(Action<KafkaSinkConfig> configure)
    {
        var config = new KafkaSinkConfig { BootstrapServers = _cluster.BootstrapServers, Topic = _topic };
        configure(config);
        return config.Build(new ComponentContext("out", "test", Path.GetTempPath()));
    }
}
