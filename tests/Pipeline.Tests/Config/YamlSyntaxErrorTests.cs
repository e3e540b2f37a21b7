namespace Pipeline.Tests.Config;

/// <summary>A YAML syntax mistake is reported as the mistake, where it was made, not where the scanner noticed it.</summary>
public sealed class YamlSyntaxErrorTests
{
    [Fact]
    public void A_tab_in_the_indentation_is_named_at_the_tab()
    {
        var errors = ConfigErrors.Of("sources:\n\tin: {type: gen}\nsinks:\n  o: {type: out, inputs: [in]}\n");

        var error = ConfigErrors.Only(errors, "a tab indents this line, and YAML does not allow tabs for indentation (expected spaces)", 2, 1);
        Assert.Equal("test.yaml:2:1: error: invalid YAML: a tab indents this line, and YAML does not allow tabs for indentation (expected spaces)", error.ToString());
    }

    [Fact]
    public void A_key_without_its_colon_is_reported_on_its_own_line_not_on_the_next_key()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type gen
                rate: 3
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "expected ':' after the key 'type', found 'type gen' (a key and its value are written 'key: value')", 3, 9);
    }

    [Fact]
    public void The_last_key_of_a_block_without_its_colon_is_reported_where_the_colon_belongs()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type: gen
                rate 3
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "expected ':' after the key 'rate', found 'rate 3'", 4, 9);
    }

    [Fact]
    public void A_line_indented_between_two_levels_names_the_indentations_it_could_have()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type: gen
               rate: 3
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "inconsistent indentation: this line is indented 3 spaces, which lines it up with no key above it (expected 0, 2 or 4 spaces)", 4, 4);
    }

    [Fact]
    public void A_line_indented_under_a_key_that_already_has_a_value_names_that_key()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type: gen
              rate: 3
                extra: 1
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "inconsistent indentation: this line is indented 4 spaces, deeper than line 4 ('rate: 3'), which opens no block (expected 2 spaces for another key beside it)", 5, 5);
    }

    [Fact]
    public void An_unclosed_double_quote_is_reported_where_it_opened()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type: "gen
                rate: 3
            """);

        ConfigErrors.Only(errors, "the string opened by \" here is never closed (expected a closing \")", 3, 11);
    }

    [Fact]
    public void An_unclosed_single_quote_is_reported_where_it_opened_and_apostrophes_in_plain_text_are_not_quotes()
    {
        var errors = ConfigErrors.Of("""
            name: it's mine
            sources:
              in:
                type: 'gen
            """);

        ConfigErrors.Only(errors, "the string opened by ' here is never closed (expected a closing ')", 4, 11);
    }

    [Fact]
    public void An_unclosed_flow_mapping_is_reported_at_its_brace()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen
            sinks: {}
            """);

        ConfigErrors.Only(errors, "the '{' opened here is never closed (expected a '}' to close it)", 2, 7);
    }

    [Fact]
    public void An_unclosed_flow_list_is_reported_at_its_bracket_even_when_later_brackets_close()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            sinks:
              o:
                type: out
                inputs: [in
                when: .tags[0] == "x"
              p: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "the '[' opened here is never closed (expected a ']' to close it)", 6, 13);
    }

    [Fact]
    public void A_value_that_only_starts_with_a_quoted_string_is_reported_after_the_string_with_the_whole_value_quoted()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                inputs: [in]
                condition: "error" == .level
            """);

        ConfigErrors.Only(errors, "only the start of this value is quoted: the string \"error\" ends before '== .level' (expected the whole value in quotes, as in '\"error\" == .level')", 7, 24);
    }

    [Fact]
    public void A_partly_quoted_value_in_a_flow_mapping_is_reported_the_same_way()
    {
        var errors = ConfigErrors.Of("""
            stages:
              c: {type: check, inputs: [in], condition: "error" == .level}
            """);

        ConfigErrors.Only(errors, "only the start of this value is quoted: the string \"error\" ends before '== .level'", 2, 53);
    }

    [Fact]
    public void A_duplicate_key_is_reported_at_the_second_with_the_place_of_the_first()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type: gen
                type: gen
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "duplicate key 'type': it is already defined at line 3, column 5 (expected each key once)", 4, 5);
    }

    [Fact]
    public void No_syntax_error_message_carries_the_parsers_own_wording()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type gen
                rate: 3
            """);

        Assert.DoesNotContain(errors, e => e.Message.Contains("While scanning", StringComparison.Ordinal) || e.Message.Contains("Idx:", StringComparison.Ordinal));
    }
}
