using System.Collections.Concurrent;
using Pipeline.Components;
using Pipeline.Isolates;
using Pipeline.Sinks.Elasticsearch;
using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Elasticsearch;

/// <summary>The elasticsearch sink in a running topology: the sink isolate settles, dead-letters and retries by the bulk answer.</summary>
public sealed class ElasticsearchSinkTopologyTests : IAsyncLifetime
{
    private FakeBulkEndpoint _es = null!;
    private TestPipeline? _pipeline;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _es = await FakeBulkEndpoint.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_pipeline is not null)
        {
            await _pipeline.DisposeAsync();
        }
        await _es.DisposeAsync();
    }

    [Fact]
    public async Task Only_the_rejected_for_now_documents_are_resent_the_refused_one_is_dead_lettered_and_the_rest_written_once()
    {
        // Seq 2 has a mapping error for good; seqs 3 and 4 are refused for now (429, 503) on their first attempt only.
        var attempts = new ConcurrentDictionary<int, int>();
        _es.ItemStatus = item => (item.Seq, attempts.AddOrUpdate(item.Seq, 1, (_, n) => n + 1)) switch
        {
            (2, _) => 400,
            (3, 1) => 429,
            (4, 1) => 503,
            _ => 201,
        };
        var result = await RunBatchAsync([1, 2, 3, 4, 5]);

        Assert.Equal((4, 1), (result.Delivered, result.DeadLettered));
        Assert.Equal([1, 3, 4, 5], _es.Accepted.Select(i => i.Seq).Order());
        Assert.Equal([[1, 2, 3, 4, 5], [3, 4]], _es.Requests.Select(r => r.Items.Select(i => i.Seq).ToArray()));
        var record = Assert.Single(_pipeline!.DeadLetters());
        Assert.Equal(2, record.GetProperty("event").GetProperty("seq").GetInt32());
        Assert.Contains("400: document_parsing_exception: rejected by test with 400", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_whole_request_429_then_a_503_are_waited_out_and_the_batch_written_once()
    {
        _es.AnswerNextWith(429, retryAfter: "0");
        _es.AnswerNextWith(503);

        var result = await RunBatchAsync([1, 2, 3]);

        Assert.Equal((3, 0), (result.Delivered, result.DeadLettered));
        Assert.Equal([429, 503, 200], _es.Requests.Select(r => r.Status));
        Assert.Equal([1, 2, 3], _es.Accepted.Select(i => i.Seq));
        Assert.Empty(_pipeline!.DeadLetters());
    }

    private async Task<SourceBatchResult> RunBatchAsync(int[] seqs)
    {
        var source = new ControlledSource();
        var settings = TestPipeline.Settings(batchSize: seqs.Length, maxAttempts: 5);
        settings.BatchTimeout = TimeSpan.FromHours(1);
        var config = new ElasticsearchSinkConfig { Endpoints = [_es.Uri.ToString()] };
        _pipeline = new TestPipeline()
            .Source("in", source, acknowledgements: true)
            .Sink("out", config.Build(new ComponentContext("out", "test", Path.GetTempPath())), ["in"], settings);
        await _pipeline.StartAsync();
        var context = await source.Context.Guarded();
        var batch = context.BeginBatch()!;
        foreach (var seq in seqs)
        {
            Assert.Equal(SendResult.Accepted, await context.SendWithinAsync(Seq(seq), default, Timeout.InfiniteTimeSpan, batch, seq, Ct));
        }
        batch.Seal();
        return await batch.Completion.Guarded();
    }
}
