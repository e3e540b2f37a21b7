using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;

namespace Pipeline.Tests.Processors;

public sealed class FaultProcessorTests
{
    [Fact]
    public async Task Every_nth_event_fails_and_the_others_pass_unchanged()
    {
        var processor = ProcessorHarness.Build(new FaultConfig { FailEvery = 3 }).CreateForIsolate(0);
        var emitter = new RecordingEmitter();
        var outcomes = new List<string>();
        for (var i = 1; i <= 7; i++)
        {
            try
            {
                await processor.ProcessAsync(Event.CreateEmpty(), emitter, TestContext.Current.CancellationToken);
                outcomes.Add("ok");
            }
            catch (InvalidOperationException ex)
            {
                Assert.Contains("injected failure on event", ex.Message, StringComparison.Ordinal);
                outcomes.Add("failed");
            }
        }
        Assert.Equal(["ok", "ok", "failed", "ok", "ok", "failed", "ok"], outcomes);
        Assert.Equal(5, emitter.Emitted.Count);
    }

    [Fact]
    public async Task Every_nth_event_crashes_the_instance_so_the_supervisor_replaces_it()
    {
        var factory = ProcessorHarness.Build(new FaultConfig { CrashEvery = 2 });
        var first = factory.CreateForIsolate(0);
        var emitter = new RecordingEmitter();
        await first.ProcessAsync(Event.CreateEmpty(), emitter, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InstanceCorruptedException>(() => first.ProcessAsync(Event.CreateEmpty(), emitter, TestContext.Current.CancellationToken).AsTask());

        // The replacement counts afresh: the retried event passes.
        var replacement = factory.CreateForIsolate(0);
        await replacement.ProcessAsync(Event.CreateEmpty(), emitter, TestContext.Current.CancellationToken);
        Assert.Equal(2, emitter.Emitted.Count);
    }

    [Theory]
    [InlineData(0, 0, "fail_every", "neither")]
    [InlineData(-1, 0, "fail_every", ">= 1")]
    [InlineData(0, -5, "crash_every", ">= 1")]
    public void A_fault_stage_that_would_inject_nothing_or_a_negative_period_is_refused(int failEvery, int crashEvery, string option, string expected)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => ProcessorHarness.Build(new FaultConfig { FailEvery = failEvery, CrashEvery = crashEvery }));
        Assert.Equal(option, ex.Option);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
