using Pipeline.Fuzzing;

namespace Pipeline.Tests.Fuzz;

/// <summary>
/// The parsers of untrusted bytes under generated hostile input, on the same inputs every run (FuzzTargets.CiSeed).
/// A failure prints a seed: replay it with CsCheck_Seed=&lt;seed&gt; and this class (docs/fuzzing.md).
/// </summary>
public sealed class ParserFuzzTests
{
    [Fact]
    public async Task Event_parse_and_deferred_parse_agree_on_hostile_text_and_reject_it_only_with_EventFormatException()
        => Assert.NotEqual(0, await FuzzTargets.EventParsing.Run(FuzzBudget.FixedOrReplay(FuzzTargets.CiSeed, 1500)));

    [Fact]
    public async Task Traceparent_parser_accepts_exactly_the_W3C_grammar_and_never_throws()
        => Assert.NotEqual(0, await FuzzTargets.Traceparent.Run(FuzzBudget.FixedOrReplay(FuzzTargets.CiSeed, 20_000)));

    [Fact]
    public async Task Container_log_decoders_never_throw_on_hostile_lines()
        => Assert.NotEqual(0, await FuzzTargets.ContainerLines.Run(FuzzBudget.FixedOrReplay(FuzzTargets.CiSeed, 1500)));
}
