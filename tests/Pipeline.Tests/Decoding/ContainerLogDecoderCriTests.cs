using System.Text;
using Pipeline.Decoding;
using Pipeline.Fuzzing;
using static Pipeline.Tests.Decoding.DecodedLine;

namespace Pipeline.Tests.Decoding;

public sealed class ContainerLogDecoderCriTests
{
    private const string T1 = "2024-05-01T10:00:00.123456789Z";
    private const string T2 = "2024-05-01T10:00:01.000000001Z";
    private const string T3 = "2024-05-01T10:00:02+02:00";

    private static ContainerLogDecoder Cri(int max = 1024 * 1024) => new(ContainerLogFormat.Cri, max);

    [Fact]
    public void Cri_full_line_gives_its_time_stream_and_log()
        => Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", """{"level":"info"}""", false, null),
            Decode(Cri(), $$"""{{T1}} stdout F {"level":"info"}"""));

    [Fact]
    public void Cri_log_keeps_its_inner_spaces_and_stderr_is_a_stream()
        => Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T3, "stderr", "  a  b ", false, null),
            Decode(Cri(), $"{T3} stderr F   a  b "));

    [Fact]
    public void Cri_full_line_without_pending_pieces_points_into_the_input()
    {
        var input = Encoding.UTF8.GetBytes($"{T1} stdout F hello");
        Assert.Equal(ContainerLineStatus.Complete, Cri().Decode(input, out var line, out _));
        Assert.True(line.Message.Overlaps(input));
        Assert.True(line.Timestamp.Overlaps(input));
        Assert.Equal("hello"u8, line.Message);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("")]
    public void Cri_empty_log_is_an_empty_message(string afterTag)
        => Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "", false, null),
            Decode(Cri(), $"{T1} stdout F{afterTag}"));

    [Fact]
    public void Cri_tags_after_the_first_are_ignored()
        => Assert.Equal("x", Decode(Cri(), $"{T1} stdout F:future x").Message);

    [Fact]
    public void Cri_partial_lines_are_reassembled_with_the_first_pieces_time()
    {
        var decoder = Cri();
        Assert.Equal(ContainerLineStatus.Partial, Decode(decoder, $"{T1} stdout P first ").Status);
        Assert.True(decoder.HasPending);
        Assert.Equal(ContainerLineStatus.Partial, Decode(decoder, $"{T2} stdout P second ").Status);
        Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "first second third", false, null),
            Decode(decoder, $"{T3} stdout F third"));
        Assert.False(decoder.HasPending);
    }

    [Fact]
    public void Cri_partial_lines_are_reassembled_per_stream()
    {
        var merged = DecodeAll(Cri(),
            $"{T1} stdout P out-1 ",
            $"{T1} stderr P err-1 ",
            $"{T2} stdout P out-2 ",
            $"{T2} stderr F err-2",
            $"{T3} stdout F out-3");

        Assert.Equal(
            [
                new DecodedLine(ContainerLineStatus.Complete, T1, "stderr", "err-1 err-2", false, null),
                new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "out-1 out-2 out-3", false, null),
            ],
            merged);
    }

    [Fact]
    public void A_full_line_of_one_stream_passes_through_while_the_other_stream_has_pending_pieces()
    {
        var decoder = Cri();
        Decode(decoder, $"{T1} stdout P half-");
        Assert.Equal("whole", Decode(decoder, $"{T2} stderr F whole").Message);
        Assert.Equal("half-done", Decode(decoder, $"{T3} stdout F done").Message);
    }

    [Theory]
    [InlineData("cri no space", "found no space in 'hello'")]
    [InlineData("cri bad time", "found the time 'yesterday'")]
    [InlineData("cri bad stream", "found the stream 'stdin' (expected stdout or stderr)")]
    [InlineData("cri bad tag", "found the tag 'X' (expected P for a partial line or F for a full one)")]
    [InlineData("cri nothing after the stream", "found nothing after the stream 'stdout'")]
    [InlineData("cri empty fraction", "found the time '2024-05-01T10:00:00.Z'")]
    [InlineData("empty line", "found no space in ''")]
    public void An_invalid_cri_line_is_reported_in_plain_words(string corpusEntry, string expected)
    {
        var decoded = Decode(Cri(), HostileInputs.Named(corpusEntry).Bytes);
        Assert.Equal(ContainerLineStatus.Invalid, decoded.Status);
        Assert.StartsWith("not a CRI line: expected '<time> <stream> <P|F> <log>', ", decoded.Error, StringComparison.Ordinal);
        Assert.Contains(expected, decoded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_line_leaves_pending_pieces_and_the_next_line_decodes()
    {
        var decoder = Cri();
        Decode(decoder, $"{T1} stdout P kept ");
        Assert.Equal(ContainerLineStatus.Invalid, Decode(decoder, "garbage").Status);
        Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "kept going", false, null),
            Decode(decoder, $"{T2} stdout F going"));
    }

    [Fact]
    public void A_merged_line_over_the_maximum_is_cut_flagged_and_its_later_pieces_are_discarded()
    {
        var decoder = Cri(max: 10);
        var statuses = new[]
        {
            Decode(decoder, $"{T1} stdout P 123456").Status,
            Decode(decoder, $"{T2} stdout P 789abc").Status,
            Decode(decoder, $"{T2} stdout P defghi").Status,
        };
        Assert.All(statuses, s => Assert.Equal(ContainerLineStatus.Partial, s));
        Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "123456789a", true, null),
            Decode(decoder, $"{T3} stdout F end"));
        Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T3, "stdout", "next", false, null),
            Decode(decoder, $"{T3} stdout F next"));
    }

    [Fact]
    public void A_single_full_line_over_the_maximum_is_cut_and_flagged()
        => Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stdout", "12345", true, null),
            Decode(Cri(max: 5), $"{T1} stdout F 1234567890"));

    [Fact]
    public void A_cut_never_splits_a_utf8_character()
    {
        // "é" is two bytes: a cut after 4 bytes would fall inside the second one.
        var decoded = Decode(Cri(max: 4), $"{T1} stdout F aéé");
        Assert.Equal("aé", decoded.Message);
        Assert.True(decoded.Truncated);
    }

    [Fact]
    public void Flushing_returns_the_pending_pieces_of_each_stream_once()
    {
        var decoder = Cri();
        Decode(decoder, $"{T1} stderr P err");
        Decode(decoder, $"{T2} stdout P out-1 ");
        Decode(decoder, $"{T3} stdout P out-2");

        Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T2, "stdout", "out-1 out-2", false, null), Flush(decoder));
        Assert.True(decoder.HasPending);
        Assert.Equal(new DecodedLine(ContainerLineStatus.Complete, T1, "stderr", "err", false, null), Flush(decoder));
        Assert.False(decoder.HasPending);
        Assert.Null(Flush(decoder));
    }

    [Fact]
    public void Decoding_allocates_nothing_per_line_once_warm()
    {
        var decoder = Cri(max: 64 * 1024);
        var partial = Encoding.UTF8.GetBytes($"{T1} stdout P {new string('p', 2000)}");
        var final = Encoding.UTF8.GetBytes($"{T2} stdout F end");
        var other = Encoding.UTF8.GetBytes($"{T3} stderr F a full line of the other stream");
        void Round()
        {
            for (var i = 0; i < 5; i++)
            {
                decoder.Decode(partial, out _, out _);
            }
            decoder.Decode(final, out _, out _);
            decoder.Decode(other, out _, out _);
        }
        Round();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Round();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_maximum_below_one_byte_is_rejected()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Cri(max: 0));
}
