using System.Text;
using Pipeline.Decoding;

namespace Pipeline.Tests.Decoding;

public sealed class FrameDecoderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);

    private static string Decoded(DecodingCodec codec, string frame)
    {
        var evt = new FrameDecoder(codec, new FixedClock()).Decode(Encoding.UTF8.GetBytes(frame), out var error);
        Assert.True(evt is not null, $"expected an event, got the error: {error}");
        var json = evt.ToString();
        evt.Release();
        return json;
    }

    private static string Error(DecodingCodec codec, string frame)
    {
        var evt = new FrameDecoder(codec, new FixedClock()).Decode(Encoding.UTF8.GetBytes(frame), out var error);
        Assert.Null(evt);
        Assert.NotNull(error);
        return error;
    }

    [Fact]
    public void Json_decodes_an_object_and_rejects_invalid_json_saying_so()
    {
        Assert.Equal("""{"n":1}""", Decoded(DecodingCodec.Json, """{"n":1}"""));
        Assert.StartsWith("invalid JSON", Error(DecodingCodec.Json, "{\"n\":"), StringComparison.Ordinal);
    }

    [Fact]
    public void Text_puts_the_frame_in_message_without_its_trailing_carriage_return()
    {
        Assert.Equal("""{"message":"hello \"world\""}""", Decoded(DecodingCodec.Text, "hello \"world\"\r"));
        Assert.Equal("""{"message":"{\"not\":\"parsed\"}"}""", Decoded(DecodingCodec.Text, """{"not":"parsed"}"""));
    }

    [Fact]
    public void Text_replaces_invalid_utf8_instead_of_rejecting_the_line()
    {
        var evt = new FrameDecoder(DecodingCodec.Text).Decode([(byte)'a', 0xFF, (byte)'b'], out _);

        Assert.Equal("{\"message\":\"a\uFFFDb\"}", evt!.ToString());
    }

    [Fact]
    public void Logfmt_keeps_values_as_strings_unquotes_and_unescapes_and_makes_a_bare_key_true()
    {
        Assert.Equal(
            """{"level":"info","n":"42","msg":"user \"bob\" logged in","flag":true,"empty":""}""",
            Decoded(DecodingCodec.Logfmt, """level=info n=42 msg="user \"bob\" logged in" flag empty="""));
    }

    [Fact]
    public void Logfmt_keeps_the_last_value_of_a_repeated_key()
    {
        Assert.Equal("""{"a":"2"}""", Decoded(DecodingCodec.Logfmt, "a=1 a=2"));
    }

    [Theory]
    [InlineData("a=1 msg=\"never closed", "unclosed quote in the value of 'msg' starting at byte 9")]
    [InlineData("a=1 =orphan", "a value without a key at byte 5")]
    [InlineData("\"key never closed=1", "unclosed quote in the key starting at byte 1")]
    public void Logfmt_rejects_a_malformed_line_saying_where(string line, string expected)
    {
        Assert.Equal(expected, Error(DecodingCodec.Logfmt, line));
    }

    [Fact]
    public void Syslog_decodes_rfc_5424_with_structured_data_as_vector_does()
    {
        Assert.Equal(
            """{"facility":"local4","severity":"notice","version":1,"timestamp":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","appname":"evntslog","procid":1234,"msgid":"ID47","exampleSDID@32473":{"iut":"3","eventSource":"App]lication"},"message":"An application event"}""",
            Decoded(DecodingCodec.Syslog, """<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="App\]lication"] An application event"""));
    }

    [Fact]
    public void Syslog_leaves_out_the_fields_rfc_5424_marks_nil()
    {
        Assert.Equal(
            """{"facility":"user","severity":"info","version":1,"hostname":"host","message":"hi"}""",
            Decoded(DecodingCodec.Syslog, "<14>1 - host - - - - hi"));
    }

    [Fact]
    public void Syslog_decodes_rfc_3164_with_its_tag_and_pid_in_the_year_nearest_before_now()
    {
        Assert.Equal(
            """{"facility":"auth","severity":"crit","timestamp":"2026-10-11T22:14:15Z","hostname":"mymachine","appname":"su","procid":230,"message":"'su root' failed on /dev/pts/8"}""",
            Decoded(DecodingCodec.Syslog, "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed on /dev/pts/8"));
        // December 30th is in the future on December 4th: it was last year's.
        Assert.Contains("\"timestamp\":\"2025-12-30T01:02:03Z\"", Decoded(DecodingCodec.Syslog, "<13>Dec 30 01:02:03 host app: x"), StringComparison.Ordinal);
    }

    [Fact]
    public void Syslog_rfc_3164_without_a_tag_is_all_message()
    {
        Assert.Equal(
            """{"facility":"user","severity":"notice","timestamp":"2026-01-05T15:33:03Z","hostname":"host","message":"just some words"}""",
            Decoded(DecodingCodec.Syslog, "<13>Jan  5 15:33:03 host just some words"));
    }

    [Theory]
    [InlineData("plain words", "expected a priority such as <34> at the start of the line (RFC 5424 or RFC 3164)")]
    [InlineData("<999>1 - - - - - - x", "expected a priority such as <34> at the start of the line (RFC 5424 or RFC 3164)")]
    [InlineData("<14>1 yesterday host app - - - x", "RFC 5424: the timestamp 'yesterday' is not an RFC 3339 time")]
    [InlineData("<14>1 - host app - - [id k=\"v", "RFC 5424: unclosed quote in the structured-data parameter 'k'")]
    [InlineData("<14>Someday host app: x", "RFC 3164: expected a timestamp such as 'Oct 11 22:14:15' after the priority, found 'Someday host app: x'")]
    public void Syslog_rejects_a_line_that_is_not_syslog_saying_what_was_wrong(string line, string expected)
    {
        Assert.Equal(expected, Error(DecodingCodec.Syslog, line));
    }

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
