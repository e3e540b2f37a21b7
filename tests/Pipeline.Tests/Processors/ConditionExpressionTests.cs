using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Expressions;

namespace Pipeline.Tests.Processors;

public sealed class ConditionExpressionTests
{
    private const string Sample = """
        {"level":"error","status":503,"latency":12.5,"ok":false,"user":{"id":"u-1","tags":["a","b"]},
         "message":"GET /api/items timeout after 3s","path":"/api/items","odd key":"x","nothing":null,"Level":"WARN"}
        """;

    private static bool Eval(string condition, string json = Sample)
        => ConditionExpression.Parse(condition, "condition").Compile()(Event.Parse(json));

    [Theory]
    [InlineData(".level == \"error\"", true)]
    [InlineData(".level == \"warn\"", false)]
    [InlineData(".level != \"warn\"", true)]
    [InlineData("\"error\" == .level", true)]
    [InlineData(".status == 503", true)]
    [InlineData(".status != 503", false)]
    [InlineData(".status > 500", true)]
    [InlineData(".status >= 503", true)]
    [InlineData(".status < 503", false)]
    [InlineData(".status <= 503", true)]
    [InlineData("500 < .status", true)]
    [InlineData(".latency > 12", true)]
    [InlineData(".latency < 12.6", true)]
    [InlineData(".latency == 12.5", true)]
    [InlineData(".status == 503.0", true)]
    [InlineData(".ok == false", true)]
    [InlineData(".ok != true", true)]
    [InlineData(".path > \"/api\"", true)]
    [InlineData(".path < \"/api\"", false)]
    [InlineData(".level == .level", true)]
    [InlineData(".status > .latency", true)]
    public void Comparison_operators_follow_the_documented_semantics(string condition, bool expected)
        => Assert.Equal(expected, Eval(condition));

    [Theory]
    [InlineData(".level == \"error\" && .status >= 500", true)]
    [InlineData(".level == \"warn\" || .status >= 500", true)]
    [InlineData("!(.level == \"error\")", false)]
    [InlineData("(.status > 500 && .ok == false) || .level == \"debug\"", true)]
    public void Boolean_operators_combine_conditions(string condition, bool expected)
        => Assert.Equal(expected, Eval(condition));

    [Theory]
    [InlineData(".missing == \"x\"", false)]
    [InlineData(".missing != \"x\"", true)]
    [InlineData(".missing > 1", false)]
    [InlineData(".missing <= 1", false)]
    [InlineData(".missing == null", true)]
    [InlineData(".missing != null", false)]
    [InlineData(".nothing == null", true)]
    [InlineData(".level != null", true)]
    [InlineData("null == .missing", true)]
    [InlineData(".user.missing.deeper == 1", false)]
    public void Missing_fields_behave_like_null(string condition, bool expected)
        => Assert.Equal(expected, Eval(condition));

    [Theory]
    [InlineData(".status == \"503\"", false)]
    [InlineData(".status != \"503\"", true)]
    [InlineData(".level > 5", false)]
    [InlineData(".level < 5", false)]
    [InlineData(".level == true", false)]
    [InlineData(".ok < 1", false)]
    [InlineData(".user == \"u-1\"", false)]
    [InlineData(".user.tags == 2", false)]
    [InlineData(".level == .status", false)]
    [InlineData(".nothing > 1", false)]
    public void Type_mismatches_are_false_not_errors(string condition, bool expected)
        => Assert.Equal(expected, Eval(condition));

    [Theory]
    [InlineData("exists(.user.id)", true)]
    [InlineData("exists(.user.name)", false)]
    [InlineData("exists(.nothing)", true)]
    [InlineData("!exists(.missing)", true)]
    [InlineData("contains(.message, \"timeout\")", true)]
    [InlineData("contains(.message, \"TIMEOUT\")", false)]
    [InlineData("contains(.status, \"50\")", false)]
    [InlineData("contains(.missing, \"x\")", false)]
    [InlineData("contains(.message, .path)", true)]
    [InlineData("starts_with(.path, \"/api\")", true)]
    [InlineData("starts_with(.path, \"/web\")", false)]
    [InlineData("ends_with(.path, \"items\")", true)]
    [InlineData("ends_with(.path, \"/api\")", false)]
    [InlineData("matches(.message, \"^GET \")", true)]
    [InlineData("matches(.message, \"^POST \")", false)]
    [InlineData("matches(.message, \"after \\\\d+s$\")", true)]
    [InlineData("matches(.status, \"5\")", false)]
    [InlineData("lower(.Level) == \"warn\"", true)]
    [InlineData("lower(.Level) == \"WARN\"", false)]
    [InlineData("upper(.level) == \"ERROR\"", true)]
    [InlineData("contains(upper(.message), \"TIMEOUT\")", true)]
    [InlineData("matches(lower(.Level), \"^w\")", true)]
    [InlineData("lower(.missing) == null", true)]
    [InlineData("length(.message) == 31", true)]
    [InlineData("length(.message) > 100", false)]
    [InlineData("length(.user.tags) == 2", true)]
    [InlineData("length(.user) == 2", true)]
    [InlineData("length(.missing) >= 0", false)]
    [InlineData("length(.status) == 3", false)]
    public void Functions_test_strings_presence_and_size(string condition, bool expected)
        => Assert.Equal(expected, Eval(condition));

    [Fact]
    public void Length_counts_characters_not_bytes()
        => Assert.True(Eval("length(.name) == 4", """{"name":"Zoë€"}"""));

    [Theory]
    [InlineData(".\"odd key\" == \"x\"", true)]
    [InlineData(".\"odd key\" != null", true)]
    [InlineData(".\"a.b\" == 1", true)]
    [InlineData(".a.b == 2", true)]
    [InlineData(".list[1].name == \"second\"", true)]
    [InlineData("exists(.list[5])", false)]
    public void Quoted_keys_nested_paths_and_indexes_are_field_paths(string condition, bool expected)
        => Assert.Equal(expected, Eval(condition, """{"odd key":"x","a.b":1,"a":{"b":2},"list":[{"name":"first"},{"name":"second"}]}"""));

    [Fact]
    public void A_string_literal_that_looks_like_a_path_is_not_rewritten()
    {
        Assert.True(Eval(".text == \".x\"", """{"text":".x","x":"other"}"""));
        Assert.True(Eval("contains(.text, \" .x == 1 \")", """{"text":"a .x == 1 b","x":1}"""));
        Assert.False(Eval(".text == \".x\"", """{"text":"other","x":".x"}"""));
    }

    [Fact]
    public void String_literals_support_escapes()
        => Assert.True(Eval(".text == \"say \\\"hi\\\"\\n\"", """{"text":"say \"hi\"\n"}"""));

    [Fact]
    public void Decimal_literals_are_not_taken_for_paths()
        => Assert.True(Eval(".v > 0.5 && .v < 1.5", """{"v":1}"""));

    [Fact]
    public void Numbers_compare_across_integer_and_decimal_representations()
    {
        Assert.True(Eval(".a == .b", """{"a":3,"b":3.0}"""));
        Assert.True(Eval(".a < .b", """{"a":3,"b":3.5}"""));
        Assert.True(Eval(".big == 9007199254740993", """{"big":9007199254740993}"""));
        Assert.False(Eval(".big == 9007199254740992", """{"big":9007199254740993}"""));
    }

    [Fact]
    public void Strings_compare_ordinally()
    {
        Assert.True(Eval(".a < .b", """{"a":"B","b":"a"}"""));
        Assert.True(Eval(".a > \"Zebra\"", """{"a":"apple"}"""));
    }

    [Theory]
    [InlineData(".level ==", "expected a value after the operator, found the end of the condition")]
    [InlineData(".level == \"error", "unterminated string literal")]
    [InlineData("level == \"error\"", "unknown name 'level': a field path starts with '.' (did you mean '.level'?)")]
    [InlineData(".status + ", "found the end of the condition")]
    [InlineData(".level", "expected a condition that is true or false, found a value alone")]
    [InlineData(".level = \"x\"", "'=' would assign, and a condition only compares (did you mean '=='?)")]
    [InlineData("nope(.level)", "unknown function 'nope' (expected one of exists, contains, starts_with")]
    [InlineData("contains(.a, 1)", "contains() does not take these arguments (expected contains(.path, \"text\") or contains(.path, .other))")]
    [InlineData(".a..b == 1", "empty segment")]
    [InlineData("__f0 == 1", "reserved")]
    [InlineData("matches(.message, \"(unclosed\")", "not a valid regular expression")]
    [InlineData("   ", "empty")]
    public void Invalid_conditions_fail_the_build_with_position_and_reason(string condition, string expected)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => ConditionExpression.Parse(condition, "condition"));
        Assert.Equal("condition", ex.Option);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("contians(.message, \"x\")", 0, "unknown function 'contians' (did you mean 'contains'?)")]
    [InlineData(".level == \"x\" and .status > 1", 14, "'and' is not an operator in a condition (did you mean '&&'?)")]
    [InlineData(".a === 1", 3, "'===' is not an operator in a condition (did you mean '=='?)")]
    [InlineData("(.a == 1 || .b == 2", 19, "expected ')' to close the '(' at position 1, found the end of the condition")]
    [InlineData(".a == 1)", 7, "found ')' with no '(' open before it")]
    [InlineData("length(.a, .b) > 1", 0, "length() does not take these arguments (expected length(.path))")]
    public void Errors_name_the_mistake_with_the_condition_and_a_caret_under_it(string condition, int offset, string reason)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => ConditionExpression.Parse(condition, "condition"));

        Assert.Equal(offset, ex.Offset);
        Assert.Equal($"invalid condition: {reason}\n  {condition}\n  {new string(' ', offset)}^", ex.Message);
    }

    [Fact]
    public void No_error_carries_dynamic_expressos_own_words()
    {
        string[] conditions = ["level == 1", "nope(.a)", ".a == 1 )", ".a ==", "(.a == 1", ".a = 1", ".a === 1"];
        foreach (var condition in conditions)
        {
            var ex = Assert.Throws<ComponentBuildException>(() => ConditionExpression.Parse(condition, "condition"));
            Assert.DoesNotContain("Unknown identifier", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Syntax error", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Expression expected", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("or operator expected", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Invalid Operation", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Error_messages_speak_in_paths_not_generated_names()
    {
        var ex = Assert.Throws<ComponentBuildException>(() => ConditionExpression.Parse(".user.id", "condition"));
        Assert.Contains(".user.id", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Boolean", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("__f", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("FieldValue", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_compile_gives_an_independent_delegate()
    {
        var condition = ConditionExpression.Parse("matches(.m, \"^a\")", "condition");
        var first = condition.Compile();
        var second = condition.Compile();
        Assert.NotSame(first, second);
        Assert.True(first(Event.Parse("""{"m":"abc"}""")));
        Assert.True(second(Event.Parse("""{"m":"abc"}""")));
    }

    /// <summary>Bytes allocated by 10k runs of <paramref name="action"/> on this thread, after one warm-up run.</summary>
    private static long Allocated(Action action)
    {
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            action();
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    // The event store's own reads are the baseline (zero once Event reads in place): evaluation must add nothing.
    [Fact]
    public void Evaluating_numeric_and_presence_conditions_allocates_nothing_beyond_the_store_reads()
    {
        var condition = ConditionExpression.Parse(".status >= 500 && .ok == false && exists(.user.id) && .latency < 100.5 && .nothing == null", "condition").Compile();
        var evt = Event.Parse(Sample);
        Assert.True(condition(evt));
        FieldPath status = FieldPath.Parse(".status"), ok = FieldPath.Parse(".ok"), id = FieldPath.Parse(".user.id"),
            latency = FieldPath.Parse(".latency"), nothing = FieldPath.Parse(".nothing");

        var store = Allocated(() =>
        {
            evt.Get(status).TryGetInt64(out _);
            evt.Get(ok).TryGetBoolean(out _);
            _ = evt.Get(id).IsMissing;
            evt.Get(latency).TryGetInt64(out _);
            evt.Get(latency).TryGetDouble(out _);
            _ = evt.Get(nothing).Kind;
        });
        var evaluation = Allocated(() => condition(evt));

        Assert.True(evaluation <= store + 1024, $"10k evaluations allocated {evaluation} bytes; the store's own reads {store}");
    }

    [Fact]
    public void String_conditions_allocate_nothing_beyond_the_store_reads()
    {
        var condition = ConditionExpression.Parse(".level == \"error\" && starts_with(.path, \"/api\") && lower(.Level) == \"warn\" && matches(.message, \"timeout\")", "condition").Compile();
        var evt = Event.Parse(Sample);
        Assert.True(condition(evt));
        var paths = new[] { FieldPath.Parse(".level"), FieldPath.Parse(".path"), FieldPath.Parse(".Level"), FieldPath.Parse(".message") };

        var store = Allocated(() =>
        {
            foreach (var path in paths)
            {
                evt.Get(path).TryGetUtf8(out _);
            }
        });
        var evaluation = Allocated(() => condition(evt));

        Assert.True(evaluation <= store + store / 10 + 1024, $"10k evaluations allocated {evaluation} bytes; the store's own reads {store}");
    }
}
