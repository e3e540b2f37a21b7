namespace Pipeline.Tests.Config;

public sealed class ConfigValidationTests
{
    [Fact]
    public void Unknown_component_type_is_reported_at_the_type_with_a_suggestion()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                type: gen
            stages:
              c:
                type: chek
                inputs: [in]
            sinks:
              o:
                type: out
                inputs: [c]
            """);

        var error = ConfigErrors.Only(errors, "stage 'c': unknown stage type 'chek' (expected one of check, pass, route)", 6, 11);
        Assert.Equal("check", error.Suggestion);
        Assert.EndsWith("(did you mean 'check'?)", error.ToString());
        Assert.StartsWith("test.yaml:6:11: error: ", error.ToString());
    }

    [Fact]
    public void Missing_type_is_reported_at_the_component()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in:
                rate: 3
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "source 'in': missing 'type' (expected one of gen, http, partitioned)", 2, 3);
    }

    [Fact]
    public void Unknown_option_is_reported_with_a_suggestion()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                condition: ok
                treshold: 3
                inputs: [in]
            sinks:
              o: {type: out, inputs: [c]}
            """);

        var error = ConfigErrors.Only(errors, "stage 'c' (check): unknown option 'treshold' (expected one of condition, threshold,", 7, 5);
        Assert.Equal("threshold", error.Suggestion);
    }

    [Fact]
    public void Misspelt_stage_setting_is_suggested_too()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in], isolate: 2}
            """);

        var error = ConfigErrors.Only(errors, "sink 'o' (out): unknown option 'isolate'", 4, 32);
        Assert.Equal("isolates", error.Suggestion);
    }

    [Fact]
    public void Missing_required_option_is_reported_at_the_component()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                inputs: [in]
            sinks:
              o: {type: out, inputs: [c]}
            """);

        ConfigErrors.Only(errors, "stage 'c' (check): missing required option 'condition' (expected a string)", 4, 3);
    }

    [Fact]
    public void A_typo_of_a_required_option_is_reported_as_the_typo_alone_not_as_the_option_missing()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                inputs: [in]
                conditon: ok
            sinks:
              o: {type: out, inputs: [c]}
            """);

        var error = ConfigErrors.Only(errors, "stage 'c' (check): unknown option 'conditon'", 7, 5);
        Assert.Equal("condition", error.Suggestion);
    }

    [Fact]
    public void A_required_option_that_no_key_resembles_is_still_reported_missing()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                inputs: [in]
                zzz: ok
            sinks:
              o: {type: out, inputs: [c]}
            """);

        ConfigErrors.Single(errors, "unknown option 'zzz'", 7, 5);
        ConfigErrors.Single(errors, "missing required option 'condition' (expected a string)", 4, 3);
    }

    [Fact]
    public void Value_of_the_wrong_type_says_what_was_expected_and_found()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                condition: ok
                threshold: lots
                inputs: [in]
            sinks:
              o: {type: out, inputs: [c]}
            """);

        ConfigErrors.Only(errors, "stage 'c' (check): option 'threshold': expected an integer, found 'lots'", 7, 16);
    }

    [Theory]
    [InlineData("big: 1.5", "option 'big': expected an integer, found '1.5'")]
    [InlineData("ratio: half", "option 'ratio': expected a number, found 'half'")]
    [InlineData("enabled: maybe", "option 'enabled': expected true or false, found 'maybe'")]
    [InlineData("timeout: 5", "option 'timeout': expected a duration such as 250ms, 5s, 1m or 1h, found '5'")]
    [InlineData("timeout: 5 seconds", "option 'timeout': expected a duration such as 250ms, 5s, 1m or 1h, found '5 seconds'")]
    [InlineData("max_size: huge", "option 'max_size': expected a byte size such as 512, 64KiB or 10MiB, found 'huge'")]
    [InlineData("speed: very_slw", "option 'speed': expected one of fast, very_slow, found 'very_slw'")]
    [InlineData("field: '.a..b'", "option 'field': expected a field path such as .message or .user.id, found '.a..b': ")]
    [InlineData("tags: solo", "option 'tags': expected a list of strings, found 'solo'")]
    [InlineData("fields: [.ok, '']", "option 'fields', item 2: expected a field path such as .message or .user.id, found ''")]
    [InlineData("labels: [a]", "option 'labels': expected a mapping of names to strings, found a list")]
    [InlineData("labels: {a: [x]}", "option 'labels', key 'a': expected a string, found a list")]
    [InlineData("limit: none", "option 'limit': expected an integer, found 'none'")]
    [InlineData("threshold:", "option 'threshold': expected an integer, found null (leave the option out to use its default)")]
    [InlineData("max-depth: deep", "option 'max-depth': expected an integer, found 'deep'")]
    public void Every_option_type_is_checked(string line, string expected)
    {
        var errors = ConfigErrors.Of($"""
            sources:
              in: {"{"}type: gen{"}"}
            stages:
              c:
                type: check
                condition: ok
                {line}
                inputs: [in]
            sinks:
              o: {"{"}type: out, inputs: [c]{"}"}
            """);

        var error = Assert.Single(errors);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(7, error.Mark.Line);
    }

    [Fact]
    public void Misspelt_enum_value_is_suggested()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c: {type: check, condition: ok, speed: very_slw, inputs: [in]}
            sinks:
              o: {type: out, inputs: [c]}
            """);

        Assert.Equal("very_slow", ConfigErrors.Only(errors, "expected one of fast, very_slow", 4, 42).Suggestion);
    }

    [Fact]
    public void Unknown_input_is_reported_at_the_input_with_a_suggestion()
    {
        var errors = ConfigErrors.Of("""
            sources:
              input: {type: gen}
            sinks:
              o:
                type: out
                inputs: [input, inptu]
            """);

        var error = ConfigErrors.Only(errors, "sink 'o' (out): unknown input 'inptu' (expected the id of a source or stage)", 6, 21);
        Assert.Equal("input", error.Suggestion);
    }

    [Fact]
    public void Input_naming_an_output_that_does_not_exist_lists_the_outputs()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              r: {type: route, routes: [errors, rest], inputs: [in]}
            sinks:
              o:
                type: out
                inputs: [r.errors, r.eror]
            """);

        var error = ConfigErrors.Only(errors, "sink 'o' (out): 'eror' is not a named output of stage 'r' (route) (expected one of r.errors, r.rest)", 8, 24);
        Assert.Equal("r.errors", error.Suggestion);
    }

    [Fact]
    public void A_stage_without_a_default_output_must_be_referenced_by_a_named_output()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              r: {type: route, routes: [errors], inputs: [in]}
            sinks:
              o: {type: out, inputs: [r]}
            """);

        ConfigErrors.Only(errors, "sink 'o' (out): stage 'r' (route) has no default output (expected one of its named outputs: r.errors)", 6, 27);
    }

    [Fact]
    public void Named_output_of_a_source_is_rejected()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in.errors]}
            """);

        ConfigErrors.Only(errors, "input 'in.errors' names an output of source 'in' (gen), but sources have no named outputs (expected 'in')", 4, 27);
    }

    [Fact]
    public void Inputs_on_a_source_are_rejected()
    {
        var errors = ConfigErrors.Of("""
            sources:
              a: {type: gen}
              b:
                type: gen
                inputs: [a]
            sinks:
              o: {type: out, inputs: [a, b]}
            """);

        ConfigErrors.Only(errors, "source 'b' (gen): sources take no inputs (they start the pipeline), found 'inputs'", 5, 5);
    }

    [Fact]
    public void A_sink_used_as_an_input_is_rejected()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            sinks:
              first: {type: out, inputs: [in]}
              second: {type: out, inputs: [first]}
            """);

        ConfigErrors.Only(errors, "sink 'second' (out): input 'first' is a sink, and sinks have no outputs (expected a source or stage)", 5, 32);
    }

    [Fact]
    public void Missing_inputs_on_a_stage_are_reported_at_the_stage()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              p: {type: pass}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "stage 'p' (pass): missing 'inputs' (expected a list of source or stage ids", 4, 3);
    }

    [Fact]
    public void Empty_inputs_on_a_sink_are_reported_at_the_list()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: []}
              p: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "sink 'o' (out): 'inputs' expected at least one source or stage id, found an empty list", 4, 26);
    }

    [Fact]
    public void A_cycle_is_printed_in_flow_order_at_one_member()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              a:
                type: pass
                inputs: [in, b]
              b:
                type: pass
                inputs: [a]
            sinks:
              o: {type: out, inputs: [b]}
            """);

        ConfigErrors.Only(errors, "cycle in the topology: a -> b -> a", 4, 3);
    }

    [Fact]
    public void A_stage_feeding_itself_is_a_cycle()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              a: {type: pass, inputs: [in, a]}
            sinks:
              o: {type: out, inputs: [a]}
            """);

        ConfigErrors.Only(errors, "cycle in the topology: a -> a", 4, 3);
    }

    [Fact]
    public void A_sink_that_no_source_reaches_is_reported()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              a: {type: pass, inputs: [b]}
              b: {type: pass, inputs: [a]}
            sinks:
              fed: {type: out, inputs: [in]}
              starved: {type: out, inputs: [a]}
            """);

        Assert.Equal(2, errors.Count);
        ConfigErrors.Single(errors, "cycle in the topology: a -> b -> a", 4, 3);
        ConfigErrors.Single(errors, "sink 'starved' (out) receives nothing: no source reaches it through its inputs (a)", 8, 3);
    }

    [Fact]
    public void A_stage_that_no_source_reaches_is_reported()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              a: {type: pass, inputs: [b]}
              b: {type: pass, inputs: [a]}
              orphan: {type: pass, inputs: [b]}
            sinks:
              o: {type: out, inputs: [in, orphan]}
            """);

        ConfigErrors.Single(errors, "stage 'orphan' (pass) is not reachable from any source through its inputs (b)", 6, 3);
    }

    [Fact]
    public void Duplicate_id_within_a_section_is_reported_at_the_second()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
              in: {type: http}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "duplicate key 'in': it is already defined at line 2, column 3", 3, 3);
    }

    [Fact]
    public void Duplicate_id_across_sections_is_reported_at_the_second()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              in: {type: pass, inputs: [in]}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Single(errors, "duplicate id 'in': it is already a source at line 2, column 3 (expected ids unique across sources, stages and sinks)", 4, 3);
    }

    [Fact]
    public void Id_with_a_dot_is_rejected()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in.put: {type: gen}
            sinks:
              o: {type: out, inputs: [in.put]}
            """);

        ConfigErrors.Single(errors, "source id 'in.put': expected a non-empty id without '.'", 2, 3);
    }

    [Fact]
    public void Unknown_top_level_key_is_reported_with_a_suggestion()
    {
        var errors = ConfigErrors.Of("""
            name: demo
            shutdown_timout: 5s
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        Assert.Equal("shutdown_timeout", ConfigErrors.Only(errors, "unknown top-level key 'shutdown_timout'", 2, 1).Suggestion);
    }

    [Fact]
    public void A_topology_without_sources_or_sinks_is_empty()
    {
        var errors = ConfigErrors.Of("""
            name: demo
            sources: {}
            stages: {}
            """);

        Assert.Equal(2, errors.Count);
        ConfigErrors.Single(errors, "the topology is empty: expected at least one source under 'sources:', found none", 2, 1);
        ConfigErrors.Single(errors, "the topology is empty: expected at least one sink under 'sinks:', found none", 1, 1);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        ConfigErrors.Only(ConfigErrors.Of("# nothing here\n"), "the config is empty", 1, 1);
    }

    [Fact]
    public void Invalid_yaml_is_reported_where_the_parser_stopped()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen
            sinks: {}
            """);

        var error = Assert.Single(errors);
        Assert.StartsWith("invalid YAML: ", error.Message, StringComparison.Ordinal);
        Assert.True(error.Mark.Line >= 2, error.ToString());
    }

    [Fact]
    public void Build_step_failure_points_at_the_option_it_names()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                inputs: [in]
                condition: fail
            sinks:
              o: {type: out, inputs: [c]}
            """);

        ConfigErrors.Only(errors, "stage 'c' (check): option 'condition': the condition does not compile: unexpected 'fail'", 7, 5);
    }

    [Fact]
    public void Wrong_admin_address_says_what_was_expected()
    {
        var errors = ConfigErrors.Of("""
            admin:
              address: localhost
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "'admin.address': expected ip:port (such as 0.0.0.0:8080, [::]:8080, localhost:8080 or *:8080), optionally after http:// or https://, found 'localhost'", 2, 12);
    }

    [Fact]
    public void Every_error_in_a_file_is_reported_at_once_in_file_order()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen, rate: fast}
            stages:
              c: {type: chek, inputs: [in]}
            sinks:
              o: {type: out, inputs: [c, nope]}
            """);

        Assert.Equal(3, errors.Count);
        Assert.Equal([2, 4, 6], errors.Select(e => e.Mark.Line));
        Assert.Contains("expected an integer, found 'fast'", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("unknown stage type 'chek'", errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("unknown input 'nope'", errors[2].Message, StringComparison.Ordinal);
    }
}
