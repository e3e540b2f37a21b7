using System.Diagnostics;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

/// <summary>A sampled event's wait in a disk buffer is a span, and its delivery after a restart continues the same trace.</summary>
public sealed class BufferTracingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-buffer-tracing-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_a_restart_the_delivery_continues_the_trace_through_a_buffer_span_from_when_the_event_was_written()
    {
        var incoming = Traceparents.Remote(7, sampled: true);
        IReadOnlyList<Activity> before;
        var written = DateTime.UtcNow;
        await using (var first = new ObservedPipeline(directory: _directory))
        {
            var source = new ControlledSource();
            first.Source("in", source)
                .Stage("s1", DelegateProcessorFactory.PassThrough, ["in"], TestPipeline.Settings())
                .Sink("out", new RecordingSink { Down = true }, ["s1"], DiskBufferTests.DiskSettings());
            await first.StartAsync();
            var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);
            Assert.True(await context.SendAsync(Event.Parse("""{"n":7}"""), incoming, Ct));
            await TestWaits.UntilAsync(() => first.Metrics.ForComponent(first.Name, "out", "sink").Received.Value == 1);
            // The sink never delivers: the hard stop ends it, and the record stays in the buffer.
            await first.Topology.StopAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(ObservedPipeline.HangGuard, Ct);
            before = await first.StopAndCollectSpansAsync(requireDrained: false);
        }
        var hop = Assert.Single(before, s => s.DisplayName == "process s1" && s.TraceId == incoming.TraceId);

        var delivered = new RecordingSink();
        await using var second = new ObservedPipeline(directory: _directory);
        second.Source("in", new CountingSource(0)).Sink("out", delivered, ["in"], DiskBufferTests.DiskSettings());
        await second.StartAsync();
        await second.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var after = await second.StopAndCollectSpansAsync();

        Assert.Single(delivered.Delivered);
        var wait = Assert.Single(after, s => s.DisplayName == "buffer out");
        Assert.Equal(incoming.TraceId, wait.TraceId);
        Assert.Equal(hop.SpanId, wait.ParentSpanId);
        Assert.Equal("out", wait.GetTagItem(TelemetryNames.BufferIdAttribute));
        Assert.InRange(wait.StartTimeUtc, written.AddSeconds(-5), hop.StartTimeUtc.AddSeconds(5));
        var send = Assert.Single(after, s => s.DisplayName == "send out" && s.Kind == ActivityKind.Producer);
        Assert.Equal(incoming.TraceId, send.TraceId);
        Assert.Equal(wait.SpanId, send.ParentSpanId);
    }
}
