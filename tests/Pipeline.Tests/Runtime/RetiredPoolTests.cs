using Pipeline.Isolates;
using Pipeline.Telemetry;
using Serilog;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// The race a reload leaves: a sender that read an output's consumer list just before the swap offers its event to a
/// pool the reload took out, after that pool's mailboxes closed. The event must reach the replacement, or be
/// dead-lettered with a reason when the pool was removed; never refused, lost or spun on.
/// </summary>
public sealed class RetiredPoolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-retired-").FullName;
    private readonly PipelineMetrics _metrics = PipelineMetrics.CreateIsolated();
    private readonly ILogger _logger = new LoggerConfiguration().CreateLogger();
    private readonly DeadLetterWriter _deadLetters;

    public RetiredPoolTests() => _deadLetters = new DeadLetterWriter(Path.Combine(_directory, "dead-letter.jsonl"), "pipeline", _logger);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _deadLetters.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task An_event_offered_to_a_replaced_pool_after_it_closed_reaches_the_replacement()
    {
        var oldSink = new RecordingSink();
        var newSink = new RecordingSink();
        var replaced = Sink("out", oldSink);
        var successor = Sink("out", newSink);
        successor.AddUpstream();
        successor.Start(Ct);
        replaced.Retire(successor);
        // No producer left: the mailboxes close at once, as after the reload's swap.
        replaced.Start(Ct);
        var staleList = new ComponentOutput(name: null);
        staleList.AddConsumer(replaced);

        var result = await staleList.SendAsync(new Envelope(Seq(7), default, 0, 1, "in"), OfferLimits.None, Ct).AsTask().WaitAsync(TestPipeline.HangGuard, Ct);
        await TestWaits.UntilAsync(() => newSink.Delivered.Count == 1);

        Assert.Equal(HandOffResult.Accepted, result);
        Assert.Equal([7], Seqs(newSink.Delivered));
        Assert.Empty(oldSink.Delivered);
        Assert.Equal(0, _deadLetters.Written);
        successor.UpstreamFinished();
        await successor.Completion.WaitAsync(TestPipeline.HangGuard, Ct);
    }

    [Fact]
    public async Task An_event_offered_to_a_removed_pool_after_it_closed_is_dead_lettered_with_the_reason()
    {
        var removedSink = new RecordingSink();
        var removed = Sink("gone", removedSink);
        removed.Retire(successor: null);
        removed.Start(Ct);
        var staleList = new ComponentOutput(name: null);
        staleList.AddConsumer(removed);

        await staleList.SendAsync(new Envelope(Seq(8), default, 0, 1, "in"), OfferLimits.None, Ct).AsTask().WaitAsync(TestPipeline.HangGuard, Ct);

        Assert.Equal(1, _deadLetters.Written);
        Assert.Contains(IsolatePool.RemovedByReloadReason, File.ReadAllText(Path.Combine(_directory, "dead-letter.jsonl")), StringComparison.Ordinal);
        Assert.Empty(removedSink.Delivered);
    }

    private IsolatePool Sink(string id, RecordingSink sink)
        => IsolatePool.ForSink(id, "test_sink", TestPipeline.Settings(), sink, new ComponentCounters(_metrics.ForComponent("pipeline", id, "sink")), _deadLetters, _logger);
}
