using System.Diagnostics;
using System.Text;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Pipeline.Topology;

namespace Pipeline.Tests.Inspect;

/// <summary>A tap on a component output: copies without ever holding the producer up, and no trace once detached.</summary>
public sealed class EventTapTests
{
    private readonly PipelineMetrics _metrics = PipelineMetrics.CreateIsolated();

    [Fact]
    public void A_full_tap_drops_and_counts_copies_and_never_holds_up_the_send()
    {
        var output = new ComponentOutput(name: null);
        var instruments = _metrics.ForTap("p", "keep");
        using var session = new TapSession(output, new EventTap("keep", null, 1.0, instruments), instruments);

        for (var i = 0; i < EventTap.Capacity + 744; i++)
        {
            var sent = output.SendAsync(Envelope(Event.Parse($$"""{"n":{{i}}}""")), OfferLimits.None, CancellationToken.None);
            Assert.True(sent.IsCompletedSuccessfully);
        }

        Assert.Equal(EventTap.Capacity, session.Lines.Count);
        Assert.Equal(744, session.Dropped);
        Assert.Equal(744, instruments.Dropped.Value);
        Assert.True(session.Lines.TryRead(out var first));
        Assert.Equal("""{"component":"keep","event":{"n":0}}""" + "\n", Encoding.UTF8.GetString(first));
    }

    [Fact]
    public void Detaching_the_last_tap_puts_the_output_back_in_its_untapped_state()
    {
        var output = new ComponentOutput("payments");
        var instruments = _metrics.ForTap("p", "route.payments");
        var first = new TapSession(output, new EventTap("route", "payments", 1.0, instruments), instruments);
        var second = new TapSession(output, new EventTap("route", "payments", 1.0, instruments), instruments);
        Assert.Equal(2, output.TapCount);

        first.Dispose();
        Assert.Equal(1, output.TapCount);
        second.Dispose();
        second.Dispose();

        Assert.Equal(0, output.TapCount);
        Assert.True(second.Lines.Completion.IsCompleted);
        output.SendAsync(Envelope(Event.Parse("""{"a":1}""")), OfferLimits.None, CancellationToken.None);
        Assert.False(second.Lines.TryRead(out _));
    }

    [Fact]
    public void An_unparsed_event_is_shown_as_its_text_without_parsing_it_on_the_producers_thread()
    {
        var output = new ComponentOutput(name: null);
        var instruments = _metrics.ForTap("p", "stdin");
        using var session = new TapSession(output, new EventTap("stdin", null, 1.0, instruments), instruments);
        var json = Event.Unparsed("""{"level":"info"}"""u8);
        var text = Event.Unparsed("not \"json\""u8);

        output.SendAsync(Envelope(json), OfferLimits.None, CancellationToken.None);
        output.SendAsync(Envelope(text), OfferLimits.None, CancellationToken.None);

        Assert.True(session.Lines.TryRead(out var asEvent));
        Assert.True(session.Lines.TryRead(out var asText));
        Assert.Equal("""{"component":"stdin","event":{"level":"info"}}""" + "\n", Encoding.UTF8.GetString(asEvent));
        Assert.Equal("""{"component":"stdin","unparsed":"not \u0022json\u0022"}""" + "\n", Encoding.UTF8.GetString(asText));
    }

    [Fact]
    public void A_sampled_tap_copies_about_its_share_of_the_events()
    {
        var output = new ComponentOutput(name: null);
        var instruments = _metrics.ForTap("p", "gen");
        using var session = new TapSession(output, new EventTap("gen", null, 0.01, instruments), instruments);

        for (var i = 0; i < 10_000; i++)
        {
            output.SendAsync(Envelope(Event.Parse("""{"a":1}""")), OfferLimits.None, CancellationToken.None);
        }

        // 100 expected; the bounds are 7 standard deviations wide, so this fails only when sampling is wrong.
        Assert.InRange(session.Lines.Count, 30, 170);
    }

    private static Envelope Envelope(Event evt) => new(evt, default, Stopwatch.GetTimestamp(), 1, "src");
}
