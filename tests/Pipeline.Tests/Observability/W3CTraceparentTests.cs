using System.Diagnostics;
using Pipeline.Fuzzing;
using Pipeline.Telemetry;

namespace Pipeline.Tests.Observability;

/// <summary>The traceparent parser every source uses, against the W3C Trace Context grammar.</summary>
public sealed class W3CTraceparentTests
{
    private const string Valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    public static TheoryData<string> CorpusTraceparents => [.. HostileInputs.Traceparents];

    [Fact]
    public void A_valid_traceparent_gives_its_ids_and_flags_as_a_remote_parent()
    {
        Assert.True(W3CTraceparent.TryParse(Valid, "a=b", isRemote: true, out var context));

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.Equal("a=b", context.TraceState);
        Assert.True(context.IsRemote);
    }

    // Found by fuzzing: ActivityContext.TryParse, used before, accepted these.
    [Theory]
    [InlineData("00x0af7651916cd43dd8448eb211c80319cxb7ad6b7169203331x01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01")]
    public void Separators_other_than_dashes_are_rejected(string traceparent)
        => Assert.False(W3CTraceparent.TryParse(traceparent, null, isRemote: true, out _));

    // Found by fuzzing: ActivityContext.TryParse, used before, refused every value longer than version 00's 55 characters.
    [Theory]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds")]
    [InlineData("fe-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-")]
    public void A_later_version_with_more_fields_is_read_as_far_as_version_00_goes(string traceparent)
    {
        Assert.True(W3CTraceparent.TryParse(traceparent, null, isRemote: true, out var context));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
    }

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x")]
    public void Version_00_ends_at_its_flags_and_a_later_version_goes_on_only_after_a_dash(string traceparent)
        => Assert.False(W3CTraceparent.TryParse(traceparent, null, isRemote: true, out _));

    [Theory]
    [MemberData(nameof(CorpusTraceparents))]
    public void Every_corpus_traceparent_is_judged_as_the_W3C_grammar_judges_it(string traceparent)
        => ParserProperties.TraceparentMatchesTheW3CGrammar(traceparent);
}
