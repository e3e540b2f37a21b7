using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sources;

namespace Pipeline.Tests.Io;

public sealed class StdinSourceTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lines_become_events_in_order_and_the_source_returns_at_end_of_input()
    {
        var context = new FakeSourceContext();
        var source = new StdinSource(Input("{\"n\":1}\n{\"n\":2}\r\n\n{\"n\":3}"), maxLine: 1024);

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Equal([1L, 2L, 3L], Numbers(context));
        Assert.Empty(context.Invalid);
    }

    [Fact]
    public async Task Lines_that_straddle_read_buffers_are_parsed_whole()
    {
        var context = new FakeSourceContext();
        var text = new StringBuilder();
        for (var i = 0; i < 5000; i++)
        {
            text.Append("{\"n\":").Append(i).Append(",\"text\":\"").Append('y', i % 97).Append("\"}\n");
        }
        var source = new StdinSource(Input(text.ToString()), maxLine: 1024);

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (long)i), Numbers(context));
        Assert.Empty(context.Invalid);
    }

    [Fact]
    public async Task Malformed_line_is_reported_with_its_line_number_and_skipped()
    {
        var context = new FakeSourceContext();
        var source = new StdinSource(Input("{\"n\":1}\n{\"n\":\n{\"n\":3}\n"), maxLine: 1024);

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Equal([1L, 3L], Numbers(context));
        var invalid = Assert.Single(context.Invalid);
        Assert.StartsWith("line 2: ", invalid.Reason, StringComparison.Ordinal);
        Assert.Equal("{\"n\":", Encoding.UTF8.GetString(invalid.Raw));
    }

    [Fact]
    public async Task When_the_consumers_parse_lines_go_on_as_text_with_their_line_numbers_and_a_bad_one_is_left_to_them()
    {
        var context = new FakeSourceContext { ConsumersParse = true };
        var source = new StdinSource(Input("{\"n\":1}\n\n{\"n\":\n{\"n\":3}\n"), maxLine: 1024);

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        // Nothing parsed on the source's thread, nothing reported by it: the stage parses and reports.
        Assert.Empty(context.Invalid);
        Assert.Equal(3, context.Sent.Count);
        Assert.All(context.Sent, s => Assert.False(s.Event.IsParsed));
        Assert.Equal([1L, 3L, 4L], context.Sent.Select(s => s.Event.InputLine));
        Assert.Equal("{\"n\":", Encoding.UTF8.GetString(context.Sent[1].Event.UnparsedText));
        Assert.Throws<EventFormatException>(context.Sent[1].Event.EnsureParsed);
        Assert.Equal(3, context.Sent[2].Event.Get(FieldPath.Parse(".n")).TryGetInt64(out var n) ? n : -1);
    }

    [Fact]
    public async Task Line_longer_than_max_line_is_reported_and_skipped_even_when_it_outgrows_the_read_buffer()
    {
        var context = new FakeSourceContext();
        var huge = "{\"big\":\"" + new string('x', 200_000) + "\"}";
        var medium = "{\"medium\":\"" + new string('x', 2000) + "\"}";
        var source = new StdinSource(Input($"{{\"n\":1}}\n{huge}\n{medium}\n{{\"n\":4}}\n"), maxLine: 1024);

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Equal([1L, 4L], Numbers(context));
        Assert.Collection(context.Invalid,
            i => Assert.StartsWith("line 2: longer than max_line", i.Reason, StringComparison.Ordinal),
            i => Assert.StartsWith("line 3: longer than max_line", i.Reason, StringComparison.Ordinal));
        Assert.All(context.Invalid, i => Assert.Equal(1024, i.Raw.Length));
    }

    [Fact]
    public async Task Source_stops_when_the_topology_shuts_down()
    {
        var context = new FakeSourceContext { ShutDownAfter = 1 };
        var source = new StdinSource(Input("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"), maxLine: 1024);

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Equal([1L], Numbers(context));
    }

    [Fact]
    public async Task Shutdown_in_the_middle_of_a_batch_hands_on_exactly_what_was_accepted()
    {
        // More lines than one batch (512) and one read: the shutdown comes inside the second batch.
        var context = new FakeSourceContext { ShutDownAfter = 700 };
        var text = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            text.Append("{\"n\":").Append(i).Append("}\n");
        }
        var source = new StdinSource(Input(text.ToString()), maxLine: 1024);

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Equal(Enumerable.Range(0, 700).Select(i => (long)i), Numbers(context));
    }

    [Fact]
    public async Task Source_returns_when_stopped_while_input_stays_open()
    {
        var context = new FakeSourceContext();
        var neverEnding = new System.IO.Pipelines.Pipe();
        using var stopping = new CancellationTokenSource();
        var run = new StdinSource(neverEnding.Reader.AsStream(), maxLine: 1024).RunAsync(context, stopping.Token);

        await stopping.CancelAsync();

        await run.WaitAsync(HangGuard, Ct);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public void Factory_rejects_a_zero_max_line()
    {
        var ex = Assert.Throws<ComponentBuildException>(() =>
            new StdinSourceConfig { MaxLine = new ByteSize(0) }.Build(new ComponentContext("in", "test", Path.GetTempPath())));

        Assert.Equal("max_line", ex.Option);
    }

    private static MemoryStream Input(string text) => new(Encoding.UTF8.GetBytes(text));

    private static long[] Numbers(FakeSourceContext context)
        => [.. context.Sent.Select(s => s.Event.Get(FieldPath.Parse(".n")).TryGetInt64(out var n) ? n : -1)];
}
