using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;

namespace Pipeline.Tests.Processors;

public sealed class SampleProcessorTests
{
    private static int[] Kept(IProcessor processor, IEnumerable<string> events)
    {
        var kept = new List<int>();
        var i = 0;
        foreach (var json in events)
        {
            var emitter = ProcessorHarness.Run(processor, Event.Parse(json));
            if (emitter.Emitted.Count == 1)
            {
                kept.Add(i);
            }
            i++;
        }
        return [.. kept];
    }

    [Fact]
    public void Without_a_key_each_isolate_keeps_the_first_of_every_n()
    {
        var processor = ProcessorHarness.Build(new SampleConfig { Rate = 3 }).CreateForIsolate(0);
        Assert.Equal([0, 3, 6, 9], Kept(processor, Enumerable.Repeat("{}", 10)));
    }

    [Fact]
    public void Rate_one_keeps_everything()
    {
        var processor = ProcessorHarness.Build(new SampleConfig { Rate = 1 }).CreateForIsolate(0);
        Assert.Equal(5, Kept(processor, Enumerable.Repeat("{}", 5)).Length);
    }

    [Fact]
    public void With_a_key_every_event_of_a_key_is_kept_or_dropped_together_in_every_isolate()
    {
        var factory = ProcessorHarness.Build(new SampleConfig { Rate = 4, KeyField = FieldPath.Parse(".user") });
        var keys = Enumerable.Range(0, 200).Select(i => $"user-{i}").ToArray();
        var events = keys.Select(k => $$"""{"user":"{{k}}"}""").ToArray();

        var first = Kept(factory.CreateForIsolate(0), events);
        var again = Kept(factory.CreateForIsolate(1), events);
        var reversed = Kept(factory.CreateForIsolate(2), events.Reverse()).Select(i => events.Length - 1 - i).Order();

        Assert.Equal(first, again);
        Assert.Equal(first, reversed);
        // About one key in four is kept: the hash spreads keys rather than keeping all or none.
        Assert.InRange(first.Length, 25, 80);
    }

    [Fact]
    public void A_missing_key_is_treated_as_the_empty_key()
    {
        var factory = ProcessorHarness.Build(new SampleConfig { Rate = 2, KeyField = FieldPath.Parse(".user") });
        var missing = Kept(factory.CreateForIsolate(0), ["{}", "{}", "{}"]);
        var empty = Kept(factory.CreateForIsolate(0), ["""{"user":""}""", """{"user":""}""", """{"user":""}"""]);
        Assert.Equal(empty, missing);
        Assert.True(missing.Length is 0 or 3);
    }

    [Fact]
    public void Non_string_keys_are_sampled_consistently_by_their_json_text()
    {
        var factory = ProcessorHarness.Build(new SampleConfig { Rate = 3, KeyField = FieldPath.Parse(".id") });
        var events = Enumerable.Range(0, 60).Select(i => $$"""{"id":{{i % 20}}}""").ToArray();
        var kept = Kept(factory.CreateForIsolate(0), events);
        foreach (var index in kept)
        {
            Assert.Contains(index % 20 + 20, kept);
        }
        Assert.NotEmpty(kept);
        Assert.NotEqual(events.Length, kept.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_rate_below_one_fails_the_build(int rate)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => ProcessorHarness.Build(new SampleConfig { Rate = rate }));
        Assert.Equal("rate", ex.Option);
        Assert.Contains(rate.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }
}
