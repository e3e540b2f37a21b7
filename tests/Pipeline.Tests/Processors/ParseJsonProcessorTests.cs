using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class ParseJsonProcessorTests
{
    [Fact]
    public void By_default_the_message_field_is_replaced_by_its_structure()
        => Assert.Equal("""{"message":{"a":1,"b":[true,null]}}""",
            RunToJson(Build(new ParseJsonConfig()), """{"message":"{\"a\":1,\"b\":[true,null]}"}"""));

    [Fact]
    public void A_target_field_receives_the_parsed_value_and_the_source_stays()
        => Assert.Equal("""{"raw":"[1,2]","parsed":{"list":[1,2]}}""",
            RunToJson(Build(new ParseJsonConfig { Field = Path(".raw"), Target = Path(".parsed.list") }), """{"raw":"[1,2]"}"""));

    [Fact]
    public void The_root_target_merges_the_parsed_object()
        => Assert.Equal("""{"host":"h","level":"warn","n":2}""",
            RunToJson(Build(new ParseJsonConfig { Target = FieldPath.Root, DropSource = true }), """{"message":"{\"level\":\"warn\",\"n\":2}","host":"h"}"""));

    [Fact]
    public void Drop_source_keeps_a_parsed_field_that_has_the_source_name()
        => Assert.Equal("""{"message":"inner"}""",
            RunToJson(Build(new ParseJsonConfig { Target = FieldPath.Root, DropSource = true }), """{"message":"{\"message\":\"inner\"}"}"""));

    [Fact]
    public void Drop_source_removes_the_source_after_parsing_into_another_field()
        => Assert.Equal("""{"parsed":{"a":1}}""",
            RunToJson(Build(new ParseJsonConfig { Target = Path(".parsed"), DropSource = true }), """{"message":"{\"a\":1}"}"""));

    [Fact]
    public void A_missing_field_fails_permanently_naming_the_field()
    {
        var ex = Assert.Throws<PermanentFailureException>(() => Run(Build(new ParseJsonConfig()), """{"other":1}"""));
        Assert.Contains(".message is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_that_is_not_a_string_fails_permanently_saying_what_was_found()
    {
        var ex = Assert.Throws<PermanentFailureException>(() => Run(Build(new ParseJsonConfig()), """{"message":42}"""));
        Assert.Contains("must be a string holding JSON, found a number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json_fails_permanently_and_leaves_the_event_as_it_was()
    {
        var factory = Build(new ParseJsonConfig { Target = Path(".parsed"), DropSource = true });
        var evt = Event.Parse("""{"message":"{not json"}""");
        var ex = Assert.Throws<PermanentFailureException>(() => Run(factory.CreateForIsolate(0), evt));
        Assert.Contains("does not hold valid JSON", ex.Message, StringComparison.Ordinal);
        Assert.Equal("""{"message":"{not json"}""", evt.ToString());
    }

    [Fact]
    public void Merging_something_other_than_an_object_into_the_root_fails_permanently()
    {
        var ex = Assert.Throws<PermanentFailureException>(() =>
            Run(Build(new ParseJsonConfig { Target = FieldPath.Root }), """{"message":"[1,2]"}"""));
        Assert.Contains("JSON object to merge into the root", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_root_as_source_fails_the_build()
        => Assert.Equal("field", Assert.Throws<ComponentBuildException>(() => Build(new ParseJsonConfig { Field = FieldPath.Root })).Option);
}
