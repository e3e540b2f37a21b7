using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;

namespace Pipeline.Tests.Processors;

public sealed class DelayProcessorTests
{
    [Fact]
    public async Task A_delayed_event_is_emitted_unchanged()
    {
        var processor = ProcessorHarness.Build(new DelayConfig { Duration = TimeSpan.FromMilliseconds(1) }).CreateForIsolate(0);
        var emitter = new RecordingEmitter();
        var evt = Event.Parse("""{"a":1}""");

        await processor.ProcessAsync(evt, emitter, TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Same(evt, Assert.Single(emitter.Default));
    }

    [Fact]
    public async Task A_random_delay_between_min_and_max_emits_every_event()
    {
        var processor = ProcessorHarness.Build(new DelayConfig { Min = TimeSpan.Zero, Max = TimeSpan.FromMilliseconds(2) }).CreateForIsolate(0);
        var emitter = new RecordingEmitter();
        for (var i = 0; i < 5; i++)
        {
            await processor.ProcessAsync(Event.CreateEmpty(), emitter, TestContext.Current.CancellationToken).AsTask()
                .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        Assert.Equal(5, emitter.Emitted.Count);
    }

    [Fact]
    public async Task Cancellation_interrupts_the_wait_without_emitting()
    {
        var processor = ProcessorHarness.Build(new DelayConfig { Duration = TimeSpan.FromHours(1) }).CreateForIsolate(0);
        var emitter = new RecordingEmitter();
        using var cancel = new CancellationTokenSource();

        var pending = processor.ProcessAsync(Event.CreateEmpty(), emitter, cancel.Token).AsTask();
        Assert.False(pending.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Empty(emitter.Emitted);
    }

    [Theory]
    [InlineData(null, null, null, "duration", "neither")]
    [InlineData(10, 1, 5, "duration", "both")]
    [InlineData(null, 1, null, "max", "only one")]
    [InlineData(null, null, 5, "min", "only one")]
    [InlineData(null, 10, 5, "max", "max >= min")]
    [InlineData(-1, null, null, "duration", ">= 0")]
    public void Exactly_one_form_with_sane_values_is_accepted(int? duration, int? min, int? max, string option, string expected)
    {
        static TimeSpan? Ms(int? ms) => ms is null ? null : TimeSpan.FromMilliseconds(ms.Value);
        var ex = Assert.Throws<ComponentBuildException>(() => ProcessorHarness.Build(new DelayConfig { Duration = Ms(duration), Min = Ms(min), Max = Ms(max) }));
        Assert.Equal(option, ex.Option);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
