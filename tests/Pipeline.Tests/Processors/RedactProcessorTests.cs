using Pipeline.Components;
using Pipeline.Processors;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class RedactProcessorTests
{
    private static IProcessorFactory Presets(params string[] presets) => Build(new RedactConfig { Presets = [.. presets] });

    [Fact]
    public void Email_addresses_are_masked()
        => Assert.Equal("""{"message":"mail [REDACTED] or [REDACTED] now"}""",
            RunToJson(Presets("email"), """{"message":"mail ada@example.com or b.c+tag@mail.example.org now"}"""));

    [Fact]
    public void Bearer_tokens_are_masked_keeping_the_scheme()
        => Assert.Equal("""{"message":"Authorization: Bearer [REDACTED] ok; bearer [REDACTED]"}""",
            RunToJson(Presets("bearer_token"), """{"message":"Authorization: Bearer abc.def ok; bearer x-y_z="}"""));

    [Theory]
    [InlineData("card 4111111111111111 paid", "card [REDACTED] paid")]
    [InlineData("card 4111 1111 1111 1111 paid", "card [REDACTED] paid")]
    [InlineData("amex 3782-822463-10005.", "amex [REDACTED].")]
    [InlineData("order 4111111111111112 shipped", "order 4111111111111112 shipped")]
    [InlineData("order 1234567890123456 shipped", "order 1234567890123456 shipped")]
    [InlineData("id 41111111111111110000000 long", "id 41111111111111110000000 long")]
    [InlineData("short 4111111", "short 4111111")]
    public void Card_numbers_are_masked_only_when_they_pass_the_luhn_check(string message, string expected)
        => Assert.Equal($$"""{"message":"{{expected}}"}""", RunToJson(Presets("credit_card"), $$"""{"message":"{{message}}"}"""));

    [Fact]
    public void Custom_patterns_and_replacement_apply_to_the_chosen_fields()
    {
        var factory = Build(new RedactConfig
        {
            Fields = [Path(".a"), Path(".nested.b")],
            Patterns = [@"(?<=password=)\S+", "secret"],
            Replacement = "***",
        });
        Assert.Equal("""{"a":"password=*** user=x","nested":{"b":"my *** and ***"},"message":"secret"}""",
            RunToJson(factory, """{"a":"password=hunter2 user=x","nested":{"b":"my secret and secret"},"message":"secret"}"""));
    }

    [Fact]
    public void Non_ascii_text_survives_redaction()
    {
        var evt = Assert.Single(Run(Presets("email"), """{"message":"héllo ada@example.com ✓"}""").Default);
        Assert.Equal("héllo [REDACTED] ✓", evt.Get(Path(".message")).ToString());
    }

    [Fact]
    public void Missing_and_non_string_fields_are_skipped()
    {
        var factory = Build(new RedactConfig { Fields = [Path(".message"), Path(".n"), Path(".missing")], Presets = ["email"] });
        Assert.Equal("""{"message":"[REDACTED]","n":42}""", RunToJson(factory, """{"message":"a@b.io","n":42}"""));
    }

    [Fact]
    public void Text_without_matches_is_left_untouched()
        => Assert.Equal("""{"message":"nothing to see"}""", RunToJson(Presets("email", "bearer_token", "credit_card"), """{"message":"nothing to see"}"""));

    [Fact]
    public void An_invalid_pattern_fails_the_build_naming_the_pattern()
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Build(new RedactConfig { Patterns = ["(unclosed"] }));
        Assert.Equal("patterns", ex.Option);
        Assert.Contains("(unclosed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_preset_fails_the_build_listing_the_known_ones()
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Presets("phone"));
        Assert.Equal("presets", ex.Option);
        Assert.Contains("email, bearer_token, credit_card", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_to_mask_fails_the_build()
        => Assert.Equal("patterns", Assert.Throws<ComponentBuildException>(() => Build(new RedactConfig())).Option);
}
