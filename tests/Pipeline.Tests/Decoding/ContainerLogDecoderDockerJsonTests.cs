using System.Text;
using Pipeline.Decoding;
using Pipeline.Fuzzing;
using static Pipeline.Tests.Decoding.DecodedLine;

namespace Pipeline.Tests.Decoding;

public sealed class ContainerLogDecoderDockerJsonTests
{
    private const string T1 = "2024-05-01T10:00:00.123456789Z";
    private const string T2 = "2024-05-01T10:00:01.000000001Z";

    private static ContainerLogDecoder Docker(int max = 1024 * 1024) => new(ContainerLogFormat.DockerJson, max);

    private static string Line(string logJson, string stream = "stdout", string time = T1)
        => $$"""{"log":{{logJson}},"stream":"{{stream}}","time":"{{time}}"}""";

    [Fact]
    public void Docker_full_line_gives_its_time_stream_and_log_without_the_newline()
        => Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "text", false, null),
            Decode(Docker(), Line("\"text\\n\"")));

    [Fact]
    public void Docker_members_may_come_in_any_order_and_unknown_ones_are_skipped()
        => Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T2, "stderr", "oops", false, null),
            Decode(Docker(), $$"""{"time":"{{T2}}","attrs":{"tag":"x","n":[1,2]},"stream":"stderr","log":"oops\n"}"""));

    [Fact]
    public void Docker_log_is_json_unescaped()
        => Assert.Equal("""say "hi"\ta""" + "\nnext é ü \\ /",
            Decode(Docker(), Line("""
                "say \"hi\"\\ta\nnext \u00e9 \u00fc \\ \/\n"
                """)).Message);

    [Fact]
    public void Docker_partial_pieces_are_joined_per_stream_with_the_first_pieces_time()
    {
        var merged = DecodeAll(Docker(),
            Line("\"out-1 \"", "stdout", T1),
            Line("\"err-1 \"", "stderr", T1),
            Line("\"out-2 \"", "stdout", T2),
            Line("\"err-2\\n\"", "stderr", T2),
            Line("\"out-\\u00e9\\n\"", "stdout", T2));

        Assert.Equal(
            [
                new DecodedLine(ContainerLineStatus.Complete, T1, "stderr", "err-1 err-2", false, null),
                new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "out-1 out-2 out-é", false, null),
            ],
            merged);
    }

    [Fact]
    public void A_piece_without_a_newline_is_partial()
    {
        var decoder = Docker();
        Assert.Equal(ContainerLineStatus.Partial, Decode(decoder, Line("\"no newline yet\"")).Status);
        Assert.True(decoder.HasPending);
    }

    [Fact]
    public void Flushing_returns_a_last_piece_that_never_got_its_newline()
    {
        var decoder = Docker();
        Decode(decoder, Line("\"exit without newline\""));
        Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "exit without newline", false, null), Flush(decoder));
        Assert.Null(Flush(decoder));
    }

    [Fact]
    public void A_merged_docker_line_over_the_maximum_is_cut_and_flagged()
    {
        var decoder = Docker(max: 16);
        var pieces = Enumerable.Range(0, 10).Select(i => Line($"\"{new string((char)('a' + i), 8)}\"")).Append(Line("\"end\\n\""));
        var merged = Assert.Single(DecodeAll(decoder, [.. pieces]));
        Assert.Equal("aaaaaaaabbbbbbbb", merged.Message);
        Assert.True(merged.Truncated);
        Assert.False(decoder.HasPending);
    }

    [Theory]
    [InlineData("docker unterminated", "found invalid JSON")]
    [InlineData("not json", "found invalid JSON")]
    [InlineData("docker array", "found an array")]
    [InlineData("empty line", "found an empty line")]
    [InlineData("docker trailing garbage", "found invalid JSON")]
    [InlineData("docker log is a number", "found \"log\" holding a number")]
    [InlineData("docker stdin stream", "found the stream 'stdin' (expected stdout or stderr)")]
    [InlineData("docker no log member", "found no \"log\" member")]
    [InlineData("docker no stream member", "found no \"stream\" member")]
    [InlineData("docker no time member", "found no \"time\" member")]
    public void An_invalid_docker_line_is_reported_in_plain_words(string corpusEntry, string expected)
    {
        var decoded = Decode(Docker(), HostileInputs.Named(corpusEntry).Bytes);
        Assert.Equal(ContainerLineStatus.Invalid, decoded.Status);
        Assert.StartsWith("not a Docker json-file line: expected {\"log\":\"…\",\"stream\":\"stdout|stderr\",\"time\":\"…\"}, ", decoded.Error, StringComparison.Ordinal);
        Assert.Contains(expected, decoded.Error, StringComparison.Ordinal);
    }

    // Found by fuzzing: the reader checks UTF-8 only when it unescapes, and then threw InvalidOperationException out of
    // Decode, which stopped the file source's reader on a line a node had written.
    [Theory]
    [InlineData("docker invalid UTF-8 in log")]
    [InlineData("docker lone surrogate in log")]
    public void A_log_that_does_not_unescape_to_valid_utf8_is_an_invalid_line_not_an_exception(string corpusEntry)
    {
        var decoder = Docker();

        var decoded = Decode(decoder, HostileInputs.Named(corpusEntry).Bytes);

        Assert.Equal(ContainerLineStatus.Invalid, decoded.Status);
        Assert.Contains("found a string that is not valid UTF-8", decoded.Error, StringComparison.Ordinal);
        Assert.Equal("next", Decode(decoder, Line("\"next\\n\"")).Message);
    }

    [Fact]
    public void Invalid_json_leaves_pending_pieces_and_the_next_line_decodes()
    {
        var decoder = Docker();
        Decode(decoder, Line("\"kept \""));
        Assert.Equal(ContainerLineStatus.Invalid, Decode(decoder, "{\"log\":").Status);
        Assert.Equal("kept going", Decode(decoder, Line("\"going\\n\"")).Message);
    }

    [Fact]
    public void Decoding_allocates_nothing_per_line_once_warm()
    {
        var decoder = Docker(max: 64 * 1024);
        var partial = Encoding.UTF8.GetBytes(Line($"\"{new string('p', 2000)}\\t\""));
        var final = Encoding.UTF8.GetBytes(Line("\"end \\u00e9\\n\""));
        void Round()
        {
            for (var i = 0; i < 5; i++)
            {
                decoder.Decode(partial, out _, out _);
            }
            decoder.Decode(final, out _, out _);
        }
        Round();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Round();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
