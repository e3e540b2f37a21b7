using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sinks.Kafka;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Kafka;

/// <summary>The kafka sink against librdkafka's mock cluster, its records read back with a Confluent consumer.</summary>
public sealed class KafkaSinkTests : IDisposable
{
    private readonly MockKafkaCluster _cluster = new();
    private readonly string _topic = "events-" + Guid.NewGuid().ToString("N")[..8];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task Every_event_is_produced_once_as_its_json_with_its_traceparent_and_tracestate()
    {
        var events = Enumerable.Range(1, 20).Select(i => Seq(i)).ToList();
        var traces = events.Select((_, i) => new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(),
            i % 2 == 0 ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, i == 3 ? "vendor=abc" : null)).ToList();
        await using var sink = Build().CreateForIsolate(0);

        await ((ITracePropagatingSink)sink).WriteAsync(events, traces, Ct);

        var records = ProducedRecords.Read(_cluster.BootstrapServers, _topic, atLeast: 20);
        Assert.Equal(20, records.Count);
        Assert.Equal(Enumerable.Range(1, 20), records.Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))).Order());
        foreach (var record in records)
        {
            var seq = SeqOf(Encoding.UTF8.GetString(record.Message.Value));
            var trace = traces[seq - 1];
            Assert.Equal(events[seq - 1].ToString(), Encoding.UTF8.GetString(record.Message.Value));
            Assert.Equal($"00-{trace.TraceId.ToHexString()}-{trace.SpanId.ToHexString()}-{(seq % 2 == 1 ? "01" : "00")}", Header(record, "traceparent"));
            Assert.Equal(seq == 4 ? "vendor=abc" : null, Header(record, "tracestate"));
            Assert.Equal(trace.TraceId.ToHexString(), Encoding.UTF8.GetString(record.Message.Key));
        }
    }

    [Fact]
    public async Task Keyed_by_trace_id_one_traces_events_share_a_partition_in_order()
    {
        var traceIds = Enumerable.Range(0, 8).Select(_ => ActivityTraceId.CreateRandom()).ToArray();
        var events = Enumerable.Range(0, 80).Select(i => Seq(i)).ToList();
        var traces = events.Select((_, i) => new ActivityContext(traceIds[i % 8], ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded)).ToList();
        await using var sink = Build().CreateForIsolate(0);

        await ((ITracePropagatingSink)sink).WriteAsync(events, traces, Ct);

        var records = ProducedRecords.Read(_cluster.BootstrapServers, _topic, atLeast: 80);
        var byTrace = records.GroupBy(r => Encoding.UTF8.GetString(r.Message.Key)).ToList();
        Assert.Equal(8, byTrace.Count);
        foreach (var trace in byTrace)
        {
            Assert.Single(trace.Select(r => r.Partition.Value).Distinct());
            var seqs = trace.OrderBy(r => r.Offset.Value).Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))).ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
        Assert.True(records.Select(r => r.Partition.Value).Distinct().Count() > 1, "eight traces over the mock's partitions should use more than one");
    }

    [Fact]
    public async Task A_field_key_is_the_fields_text_and_an_event_without_it_has_no_key()
    {
        await using var sink = Build(configure: c => c.KeyField = ".user").CreateForIsolate(0);

        await sink.WriteAsync([Seq(1, user: "ada"), Seq(2)], Ct);

        var records = ProducedRecords.Read(_cluster.BootstrapServers, _topic, atLeast: 2);
        var keys = records.ToDictionary(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value)), r => r.Message.Key);
        Assert.Equal("ada", Encoding.UTF8.GetString(keys[1]));
        Assert.Null(keys[2]);
    }

    [Fact]
    public async Task A_topic_template_sends_each_event_to_its_topic_and_refuses_an_event_without_the_field_alone()
    {
        var prefix = _topic;
        await using var sink = Build(topic: prefix + "-{{ .service }}").CreateForIsolate(0);
        Event[] batch = [Event.Parse("""{"seq":1,"service":"api"}"""), Event.Parse("""{"seq":2}"""), Event.Parse("""{"seq":3,"service":"db"}""")];

        var failure = await Assert.ThrowsAsync<PartialDeliveryException>(() => sink.WriteAsync(batch, Ct).AsTask());

        var refused = Assert.Single(failure.Failures);
        Assert.Equal(1, refused.Index);
        Assert.False(refused.Retryable);
        Assert.Contains("needs .service", refused.Reason, StringComparison.Ordinal);
        Assert.Equal([1], ProducedRecords.Read(_cluster.BootstrapServers, prefix + "-api", atLeast: 1).Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))));
        Assert.Equal([3], ProducedRecords.Read(_cluster.BootstrapServers, prefix + "-db", atLeast: 1).Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))));
    }

    [Fact]
    public async Task A_template_that_renders_no_topic_name_is_refused_with_what_it_made()
    {
        await using var sink = Build(topic: "{{ .service }}").CreateForIsolate(0);

        var failure = await Assert.ThrowsAsync<PartialDeliveryException>(() => sink.WriteAsync([Event.Parse("""{"service":"a b/c"}""")], Ct).AsTask());

        var refused = Assert.Single(failure.Failures);
        Assert.False(refused.Retryable);
        Assert.Contains("made 'a b/c', which is not a Kafka topic name", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_event_fails_alone_as_not_retryable_and_the_others_are_delivered()
    {
        await using var sink = Build(configure: c => c.LibrdkafkaOptions["message.max.bytes"] = "2000").CreateForIsolate(0);
        var huge = Event.Parse($$"""{"seq":2,"blob":"{{new string('x', 5000)}}"}""");

        var failure = await Assert.ThrowsAsync<PartialDeliveryException>(() => sink.WriteAsync([Seq(1), huge, Seq(3)], Ct).AsTask());

        var refused = Assert.Single(failure.Failures);
        Assert.Equal(1, refused.Index);
        Assert.False(refused.Retryable);
        Assert.Contains(nameof(ErrorCode.MsgSizeTooLarge), refused.Reason, StringComparison.Ordinal);
        Assert.Equal([1, 3], ProducedRecords.Read(_cluster.BootstrapServers, _topic, atLeast: 2).Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))).Order());
    }

    [Fact]
    public async Task A_full_librdkafka_queue_makes_the_write_wait_for_room_instead_of_dropping()
    {
        await using var sink = Build(configure: c => c.LibrdkafkaOptions["queue.buffering.max.messages"] = "10").CreateForIsolate(0);

        await sink.WriteAsync([.. Enumerable.Range(1, 100).Select(i => Seq(i))], Ct);

        var records = ProducedRecords.Read(_cluster.BootstrapServers, _topic, atLeast: 100);
        Assert.Equal(Enumerable.Range(1, 100), records.Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))).Order());
    }

    [Fact]
    public async Task A_stopped_cluster_fails_the_write_as_retryable_within_message_timeout()
    {
        var timeout = TimeSpan.FromSeconds(2);
        await using var sink = Build(configure: c => c.MessageTimeout = timeout).CreateForIsolate(0);
        await sink.WriteAsync([Seq(1)], Ct);
        _cluster.Dispose();

        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<RetryableFailureException>(() => sink.WriteAsync([Seq(2), Seq(3)], Ct).AsTask());

        Assert.True(clock.Elapsed < timeout + TimeSpan.FromSeconds(5), $"the write failed after {clock.Elapsed}, expected about {timeout}");
        Assert.Contains("delivered none of the 2 records", failure.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ErrorCode.Local_MsgTimedOut), failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Isolates_share_one_producer_that_outlives_all_but_the_last_of_them()
    {
        var factory = Build();
        var first = factory.CreateForIsolate(0);
        await using var second = factory.CreateForIsolate(1);
        await first.WriteAsync([Seq(1)], Ct);
        await first.DisposeAsync();

        await second.WriteAsync([Seq(2)], Ct);

        Assert.Equal([1, 2], ProducedRecords.Read(_cluster.BootstrapServers, _topic, atLeast: 2).Select(r => SeqOf(Encoding.UTF8.GetString(r.Message.Value))).Order());
    }

    private ISinkFactory Build(string? topic = null, Action<KafkaSinkConfig>? configure = null)
    {
        var config = new KafkaSinkConfig { BootstrapServers = _cluster.BootstrapServers, Topic = topic ?? _topic };
        configure?.Invoke(config);
        return config.Build(new ComponentContext("out", "test", Path.GetTempPath()));
    }

    private static string? Header(ConsumeResult<byte[], byte[]> record, string name)
        => record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}
