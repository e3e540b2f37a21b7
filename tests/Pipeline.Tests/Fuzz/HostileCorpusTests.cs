using Pipeline.Fuzzing;

namespace Pipeline.Tests.Fuzz;

/// <summary>
/// Every input of the hostile-input corpus (tests/Fuzzing/HostileInputs.cs) through the fuzz properties, each as a
/// test case of its own: an input that once found a bug keeps being checked by name, whatever the generators draw.
/// </summary>
public sealed class HostileCorpusTests
{
    public static TheoryData<string> Inputs => [.. HostileInputs.All.Select(input => input.Name)];

    [Fact]
    public void Corpus_names_are_unique_so_that_tests_can_name_their_input()
    {
        var names = HostileInputs.All.Select(input => input.Name).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Every_corpus_input_parses_alike_directly_and_deferred(string corpusEntry)
        => ParserProperties.EventParseAndDeferredParseAgree(HostileInputs.Named(corpusEntry).Bytes);

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Every_corpus_input_is_a_line_the_container_decoders_cope_with(string corpusEntry)
        => ParserProperties.ContainerDecodersCope([HostileInputs.Named(corpusEntry).Bytes]);
}
