using System.Collections.Concurrent;
using System.Diagnostics;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

/// <summary>An event that is not sampled never reaches StartActivity: no Activity exists for it anywhere.</summary>
public sealed class UnsampledEventTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unsampled_events_create_no_activity_while_a_sampled_one_beside_them_does()
    {
        // Component ids unique to this test: a listener sees every pipeline span in the process.
        var prefix = "u" + Guid.NewGuid().ToString("N")[..8];
        var started = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TelemetryNames.ActivitySourceName,
            // Would create an Activity for any StartActivity call at all, so an unsampled event that reached one shows.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.OperationName.Contains(prefix, StringComparison.Ordinal))
                {
                    started.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var source = new ControlledSource();
        // Ratio 0: a new trace is never sampled; only an incoming sampled flag is.
        await using var pipeline = new ObservedPipeline(sampler: "parentbased_traceidratio", ratio: 0)
            .Source($"{prefix}_in", source)
            .Stage($"{prefix}_a", DelegateProcessorFactory.PassThrough, [$"{prefix}_in"])
            .Stage($"{prefix}_b", DelegateProcessorFactory.PassThrough, [$"{prefix}_a"])
            .Sink($"{prefix}_out", new RecordingSink(), [$"{prefix}_b"]);
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);

        var unsampled = Traceparents.Remote(7, sampled: false);
        var sampled = Traceparents.Remote(8, sampled: true);
        for (var i = 0; i < 50; i++)
        {
            Assert.True(await context.SendAsync(Event.Parse("""{"kind":"unsampled, incoming"}"""), unsampled, Ct));
            Assert.True(await context.SendAsync(Event.Parse("""{"kind":"unsampled, new trace"}"""), default, Ct));
        }
        Assert.True(await context.SendAsync(Event.Parse("""{"kind":"sampled"}"""), sampled, Ct));
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        await pipeline.StopAndCollectSpansAsync();

        // The listener works: the one sampled event made its ingest, two hops, its send span and its batch's span
        // (batches of up to 16, so it shares one with unsampled events, which still get no span of their own).
        Assert.Equal(5, started.Count(a => a.TraceId == sampled.TraceId));
        Assert.Single(started, a => a.Kind == ActivityKind.Producer && a.OperationName == $"send {prefix}_out");
        // And the hundred unsampled events made nothing at all.
        Assert.All(started, activity => Assert.Equal(sampled.TraceId, activity.TraceId));
    }
}
