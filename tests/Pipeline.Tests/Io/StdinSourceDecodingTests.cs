using System.Text;
using Pipeline.Decoding;
using Pipeline.Sources;

namespace Pipeline.Tests.Io;

public sealed class StdinSourceDecodingTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<FakeSourceContext> Run(string input, DecodingCodec codec, byte? delimiter, bool consumersParse = false, int maxLine = 1024)
    {
        var context = new FakeSourceContext { ConsumersParse = consumersParse };
        var source = new StdinSource(new MemoryStream(Encoding.UTF8.GetBytes(input)), maxLine, new FrameDecoder(codec), delimiter);
        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);
        return context;
    }

    private static string[] Json(FakeSourceContext context) => [.. context.Sent.Select(s => s.Event.ToString())];

    [Fact]
    public async Task Text_codec_turns_plain_lines_into_events_with_the_line_in_message()
    {
        // printf 'hello\n' | pipeline run, with decoding: { codec: text }.
        var context = await Run("hello\nsecond line\r\n", DecodingCodec.Text, (byte)'\n');

        Assert.Equal(["""{"message":"hello"}""", """{"message":"second line"}"""], Json(context));
        Assert.Empty(context.Invalid);
    }

    [Fact]
    public async Task Text_codec_decodes_on_the_source_even_when_the_consumers_parse_json()
    {
        var context = await Run("hello\n", DecodingCodec.Text, (byte)'\n', consumersParse: true);

        var sent = Assert.Single(context.Sent);
        Assert.True(sent.Event.IsParsed);
        Assert.Equal("""{"message":"hello"}""", sent.Event.ToString());
    }

    [Fact]
    public async Task Json_codec_still_hands_unparsed_lines_to_consumers_that_parse()
    {
        var context = await Run("{\"n\":1}\n", DecodingCodec.Json, (byte)'\n', consumersParse: true);

        Assert.False(Assert.Single(context.Sent).Event.IsParsed);
    }

    [Fact]
    public async Task A_frame_the_codec_cannot_decode_is_dead_lettered_with_its_number_and_the_codec_and_the_rest_go_on()
    {
        var context = await Run("a=1\nb=\"unclosed\nc=3\n", DecodingCodec.Logfmt, (byte)'\n');

        Assert.Equal(["""{"a":"1"}""", """{"c":"3"}"""], Json(context));
        var invalid = Assert.Single(context.Invalid);
        Assert.Equal("line 2: unclosed quote in the value of 'b' starting at byte 3 (decoding.codec: logfmt)", invalid.Reason);
        Assert.Equal("b=\"unclosed", Encoding.UTF8.GetString(invalid.Raw));
    }

    [Fact]
    public async Task A_line_that_is_not_syslog_is_dead_lettered_naming_the_syslog_codec()
    {
        var context = await Run("<34>Oct 11 22:14:15 host su: ok\nnot syslog at all\n", DecodingCodec.Syslog, (byte)'\n');

        Assert.Single(context.Sent);
        Assert.Equal(
            "line 2: expected a priority such as <34> at the start of the line (RFC 5424 or RFC 3164) (decoding.codec: syslog)",
            Assert.Single(context.Invalid).Reason);
    }

    [Fact]
    public async Task Character_delimited_framing_splits_at_the_delimiter_and_numbers_records()
    {
        var context = await Run("one,two,,three", DecodingCodec.Text, (byte)',');

        Assert.Equal(["""{"message":"one"}""", """{"message":"two"}""", """{"message":"three"}"""], Json(context));
    }

    [Fact]
    public async Task Character_delimited_framing_reports_a_bad_record_by_its_number()
    {
        var context = await Run("{\"n\":1};{bad;{\"n\":3}", DecodingCodec.Json, (byte)';');

        Assert.Equal(2, context.Sent.Count);
        Assert.StartsWith("record 2: invalid JSON", Assert.Single(context.Invalid).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_framing_makes_the_whole_input_one_event_newlines_included()
    {
        var context = await Run("first line\nsecond line\n", DecodingCodec.Text, delimiter: null);

        Assert.Equal(["""{"message":"first line\nsecond line\n"}"""], Json(context));
    }

    [Fact]
    public async Task Bytes_framing_reports_input_longer_than_max_line_instead_of_holding_it_all()
    {
        var context = await Run(new string('x', 5000), DecodingCodec.Text, delimiter: null, maxLine: 1000);

        Assert.Empty(context.Sent);
        Assert.StartsWith("input: longer than max_line (1000 bytes)", Assert.Single(context.Invalid).Reason, StringComparison.Ordinal);
    }
}
