using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sources.Kafka;
using Pipeline.Tests.Runtime;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Kafka;

/// <summary>The kafka source in a running topology against the mock cluster: records in, offsets committed after acknowledgements.</summary>
public sealed class KafkaSourceTests : IDisposable
{
    private readonly MockKafkaCluster _cluster = new();
    private readonly string _topic = "in-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _group = "group-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task Every_record_becomes_one_event_with_its_metadata_and_the_producers_trace_context()
    {
        var traceIds = Enumerable.Range(0, 20).Select(_ => ActivityTraceId.CreateRandom()).ToArray();
        Produce(Enumerable.Range(0, 20).Select(i => (partition: i % 4, json: $$"""{"seq":{{i}}}""", traceId: (ActivityTraceId?)traceIds[i])));
        var sink = new TraceCapturingSink();
        await using var pipeline = new TestPipeline()
            .Source("kafka", BuildSource(), acknowledgements: true)
            .Sink("out", sink, ["kafka"]);
        await pipeline.StartAsync();

        await TestWaits.UntilAsync(() => sink.Received.Count >= 20, TimeSpan.FromSeconds(30));

        var received = sink.Received.OrderBy(r => r.Seq).ToList();
        Assert.Equal(Enumerable.Range(0, 20), received.Select(r => r.Seq));
        foreach (var (seq, json, traceId) in received)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            var root = doc.RootElement;
            Assert.Equal(_topic, root.GetProperty("topic").GetString());
            Assert.Equal(seq % 4, root.GetProperty("partition").GetInt32());
            Assert.Equal(seq / 4, root.GetProperty("offset").GetInt64());
            Assert.Equal($"key-{seq}", root.GetProperty("message_key").GetString());
            Assert.Equal("blue", root.GetProperty("headers").GetProperty("tenant").GetString());
            Assert.False(root.GetProperty("headers").TryGetProperty("traceparent", out _), "the trace context is the event's, not a field");
            Assert.Equal(traceIds[seq], traceId);
        }
        // Records of one partition arrive in offset order.
        foreach (var partition in received.GroupBy(r => r.Seq % 4))
        {
            var arrival = sink.Received.Where(r => r.Seq % 4 == partition.Key).Select(r => r.Seq).ToList();
            Assert.Equal(arrival.Order(), arrival);
        }
    }

    [Fact]
    public async Task Offsets_are_committed_only_once_the_events_are_delivered()
    {
        Produce(Enumerable.Range(0, 5).Select(i => (partition: 0, json: $$"""{"seq":{{i}}}""", traceId: (ActivityTraceId?)null)));
        var gate = new SinkGate();
        await using var pipeline = new TestPipeline()
            .Source("kafka", BuildSource(c => c.CommitInterval = TimeSpan.FromMilliseconds(50)), acknowledgements: true)
            .Sink("out", gate.Sink, ["kafka"]);
        await pipeline.StartAsync();
        await gate.Entered.Guarded();

        // The records are read and in the sink, whose write is held: many commit intervals pass without a commit.
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        Assert.Equal(Offset.Unset, CommittedOffset(0));

        gate.Release();
        await TestWaits.UntilAsync(() => CommittedOffset(0) == new Offset(5), TimeSpan.FromSeconds(15));
        Assert.Equal(5, gate.Sink.Delivered.Count);
    }

    [Fact]
    public async Task Without_acknowledgements_offsets_are_committed_once_handed_on_even_while_the_sink_holds_the_events()
    {
        Produce(Enumerable.Range(0, 5).Select(i => (partition: 0, json: $$"""{"seq":{{i}}}""", traceId: (ActivityTraceId?)null)));
        var gate = new SinkGate();
        await using var pipeline = new TestPipeline()
            .Source("kafka", BuildSource(c => c.CommitInterval = TimeSpan.FromMilliseconds(50)), acknowledgements: false)
            .Sink("out", gate.Sink, ["kafka"]);
        await pipeline.StartAsync();
        await gate.Entered.Guarded();

        await TestWaits.UntilAsync(() => CommittedOffset(0) == new Offset(5), TimeSpan.FromSeconds(15));
        Assert.Empty(gate.Sink.Delivered);
        gate.Release();
    }

    [Fact]
    public async Task A_record_that_does_not_decode_is_dead_lettered_with_its_offset_and_committed_past()
    {
        Produce([(0, """{"seq":0}""", null), (0, "{not json", null), (0, """{"seq":2}""", null)]);
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("kafka", BuildSource(c => c.CommitInterval = TimeSpan.FromMilliseconds(50)), acknowledgements: true)
            .Sink("out", sink, ["kafka"]);
        await pipeline.StartAsync();

        await TestWaits.UntilAsync(() => CommittedOffset(0) == new Offset(3), TimeSpan.FromSeconds(15));

        Assert.Equal([0, 2], TestEvents.Seqs(sink.Delivered));
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Contains($"{_topic} partition 0 offset 1", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("decoding.codec: json", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restart_resumes_from_the_committed_offsets_without_reading_anything_again()
    {
        Produce(Enumerable.Range(0, 6).Select(i => (partition: i % 2, json: $$"""{"seq":{{i}}}""", traceId: (ActivityTraceId?)null)));
        var first = new RecordingSink();
        await using (var pipeline = new TestPipeline()
            .Source("kafka", BuildSource(), acknowledgements: true)
            .Sink("out", first, ["kafka"]))
        {
            var topology = await pipeline.StartAsync();
            await TestWaits.UntilAsync(() => first.Delivered.Count == 6, TimeSpan.FromSeconds(30));
            // A clean stop leaves the group, and the revocation commits what was delivered.
            await topology.StopAsync(TestPipeline.HangGuard).Guarded();
        }
        Assert.Equal(new Offset(3), CommittedOffset(0));
        Assert.Equal(new Offset(3), CommittedOffset(1));
        Produce(Enumerable.Range(6, 4).Select(i => (partition: i % 2, json: $$"""{"seq":{{i}}}""", traceId: (ActivityTraceId?)null)));

        var second = new RecordingSink();
        await using (var pipeline = new TestPipeline()
            .Source("kafka", BuildSource(), acknowledgements: true)
            .Sink("out", second, ["kafka"]))
        {
            await pipeline.StartAsync();
            await TestWaits.UntilAsync(() => second.Delivered.Count >= 4, TimeSpan.FromSeconds(60));
        }

        Assert.Equal([6, 7, 8, 9], TestEvents.Seqs(second.Delivered).Order());
    }

    [Fact]
    public async Task Two_members_of_one_group_share_the_partitions_and_together_see_every_record()
    {
        Produce(Enumerable.Range(0, 40).Select(i => (partition: i % 4, json: $$"""{"seq":{{i}}}""", traceId: (ActivityTraceId?)null)));
        var first = new RecordingSink();
        var second = new RecordingSink();
        await using var one = new TestPipeline()
            .Source("kafka", BuildSource(c => c.CommitInterval = TimeSpan.FromMilliseconds(100)), acknowledgements: true)
            .Sink("out", first, ["kafka"]);
        await using var other = new TestPipeline()
            .Source("kafka", BuildSource(c => c.CommitInterval = TimeSpan.FromMilliseconds(100)), acknowledgements: true)
            .Sink("out", second, ["kafka"]);
        await Task.WhenAll(one.StartAsync(), other.StartAsync());
        var seen = () => TestEvents.Seqs(first.Delivered).Concat(TestEvents.Seqs(second.Delivered)).ToHashSet();
        await TestWaits.UntilAsync(() => seen().Count == 40, TimeSpan.FromSeconds(60));

        // Once the group has settled, records produced to every partition reach both members, each its own share.
        Produce(Enumerable.Range(40, 40).Select(i => (partition: i % 4, json: $$"""{"seq":{{i}}}""", traceId: (ActivityTraceId?)null)));
        await TestWaits.UntilAsync(
            () => seen().Count == 80 && TestEvents.Seqs(first.Delivered).Any(s => s >= 40) && TestEvents.Seqs(second.Delivered).Any(s => s >= 40),
            TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(0, 80), seen().Order());
        var secondRound = (Ones: TestEvents.Seqs(first.Delivered).Where(s => s >= 40).ToHashSet(), Others: TestEvents.Seqs(second.Delivered).Where(s => s >= 40).ToHashSet());
        Assert.Empty(secondRound.Ones.Intersect(secondRound.Others));
        // Every record was committed by whichever member delivered it.
        await TestWaits.UntilAsync(() => Enumerable.Range(0, 4).All(p => CommittedOffset(p) == new Offset(20)), TimeSpan.FromSeconds(30));
    }

    private ISourceFactory BuildSource(Action<KafkaSourceConfig>? configure = null)
    {
        var config = new KafkaSourceConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            GroupId = _group,
            Topics = [_topic],
            // The mock cluster lets a new member in only once the old one's session is over, even after it left; 6 s is the least a group accepts.
            SessionTimeout = TimeSpan.FromSeconds(6),
        };
        config.LibrdkafkaOptions["heartbeat.interval.ms"] = "100";
        configure?.Invoke(config);
        return config.Build(new ComponentContext("kafka", "test", Path.GetTempPath()));
    }

    private void Produce(IEnumerable<(int Partition, string Json, ActivityTraceId? TraceId)> records)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build();
        var i = 0;
        foreach (var (partition, json, traceId) in records)
        {
            var headers = new Headers { { "tenant", "blue"u8.ToArray() } };
            if (traceId is { } id)
            {
                headers.Add("traceparent", Encoding.ASCII.GetBytes($"00-{id.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01"));
            }
            var seq = System.Text.Json.JsonDocument.Parse(json.StartsWith('{') && json.EndsWith('}') ? json : "{}").RootElement.TryGetProperty("seq", out var s) ? s.GetInt32() : i;
            producer.Produce(new TopicPartition(_topic, partition), new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes($"key-{seq}"),
                Value = Encoding.UTF8.GetBytes(json),
                Headers = headers,
            });
            i++;
        }
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(15)));
    }

    /// <summary>The group's committed offset of a partition, read without joining the group.</summary>
    private Offset CommittedOffset(int partition)
    {
        using var reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = _cluster.BootstrapServers, GroupId = _group })
            .SetLogHandler((_, _) => { }).Build();
        return reader.Committed([new TopicPartition(_topic, partition)], TimeSpan.FromSeconds(10)).Single().Offset;
    }

    /// <summary>Records each event's seq, JSON and the trace id it carries on, as a trace-propagating sink sees them.</summary>
    private sealed class TraceCapturingSink : ISinkFactory
    {
        private readonly ConcurrentQueue<(int Seq, string Json, ActivityTraceId TraceId)> _received = new();

        public IReadOnlyList<(int Seq, string Json, ActivityTraceId TraceId)> Received => [.. _received];

        public ISink CreateForIsolate(int isolateIndex) => new Instance(this);

        private sealed class Instance(TraceCapturingSink owner) : ITracePropagatingSink
        {
            public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken) => throw new InvalidOperationException("called with trace contexts");

            public ValueTask WriteAsync(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, CancellationToken cancellationToken)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    owner._received.Enqueue((TestEvents.SeqOf(batch[i]), batch[i].ToString(), traceContexts[i].TraceId));
                }
                return ValueTask.CompletedTask;
            }

            public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
