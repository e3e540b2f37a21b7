using Pipeline.Components;
using Pipeline.Processors;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class RemapProcessorTests
{
    [Fact]
    public void Rename_copy_set_and_delete_run_in_that_order()
    {
        var factory = Build(new RemapConfig
        {
            // Each step sees the previous one's result: copy reads the renamed field, set reads the copy,
            // delete removes the renamed field after set has used it.
            Rename = new() { [".msg"] = ".message" },
            Copy = new() { [".message"] = ".original" },
            Set = new() { [".summary"] = "{{ .original }}!" },
            Delete = [Path(".message")],
        });
        Assert.Equal("""{"original":"hi","summary":"hi!"}""", RunToJson(factory, """{"msg":"hi"}"""));
    }

    [Fact]
    public void Templates_interpolate_fields_as_text()
    {
        var factory = Build(new RemapConfig
        {
            Set = new() { [".line"] = "{{ .method }} {{.path}} -> {{ .status }} ok={{ .ok }} user={{ .user }} none=[{{ .missing }}{{ .nil }}]" },
        });
        var evt = Assert.Single(Run(factory, """{"method":"GET","path":"/x","status":200,"ok":true,"user":{"id":1},"nil":null}""").Default);
        Assert.Equal("""GET /x -> 200 ok=true user={"id":1} none=[]""", evt.Get(Path(".line")).ToString());
    }

    [Fact]
    public void A_template_that_is_one_placeholder_copies_the_value_with_its_type()
    {
        var factory = Build(new RemapConfig { Set = new() { [".n"] = "{{ .status }}", [".u"] = "{{ .user }}", [".m"] = "{{ .missing }}" } });
        Assert.Equal("""{"status":200,"user":{"id":1},"n":200,"u":{"id":1},"m":null}""", RunToJson(factory, """{"status":200,"user":{"id":1}}"""));
    }

    [Fact]
    public void A_template_may_read_the_field_it_replaces()
        => Assert.Equal("""{"a":"[x]"}""", RunToJson(Build(new RemapConfig { Set = new() { [".a"] = "[{{ .a }}]" } }), """{"a":"x"}"""));

    [Fact]
    public void Literal_text_without_placeholders_sets_a_string()
        => Assert.Equal("""{"env":"prod"}""", RunToJson(Build(new RemapConfig { Set = new() { [".env"] = "prod" } }), "{}"));

    [Fact]
    public void Missing_sources_are_skipped()
    {
        var factory = Build(new RemapConfig
        {
            Rename = new() { [".gone"] = ".a" },
            Copy = new() { [".gone"] = ".b" },
            Delete = [Path(".gone")],
        });
        Assert.Equal("""{"keep":1}""", RunToJson(factory, """{"keep":1}"""));
    }

    [Fact]
    public void Nested_targets_are_created()
        => Assert.Equal("""{"user":{"id":7}}""",
            RunToJson(Build(new RemapConfig { Rename = new() { [".uid"] = ".user.id" } }), """{"uid":7}"""));

    [Fact]
    public void Writing_through_a_field_of_the_wrong_type_fails_permanently_naming_the_operation()
    {
        var factory = Build(new RemapConfig { Set = new() { [".user.name"] = "x" } });
        var ex = Assert.Throws<PermanentFailureException>(() => Run(factory, """{"user":"not an object"}"""));
        Assert.Contains("set .user.name", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a string", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{ .a", "unclosed")]
    [InlineData("x {{ }} y", "empty placeholder")]
    [InlineData("{{ .a b }}", "invalid placeholder")]
    public void Bad_templates_fail_the_build(string template, string expected)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Build(new RemapConfig { Set = new() { [".t"] = template } }));
        Assert.Equal("set", ex.Option);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_paths_fail_the_build_naming_the_option()
    {
        Assert.Equal("rename", Assert.Throws<ComponentBuildException>(() => Build(new RemapConfig { Rename = new() { [".a b"] = ".c" } })).Option);
        Assert.Equal("copy", Assert.Throws<ComponentBuildException>(() => Build(new RemapConfig { Copy = new() { [".a"] = "." } })).Option);
        Assert.Equal("delete", Assert.Throws<ComponentBuildException>(() => Build(new RemapConfig { Delete = [Pipeline.Events.FieldPath.Root] })).Option);
    }

    [Fact]
    public void An_empty_remap_fails_the_build()
        => Assert.Throws<ComponentBuildException>(() => Build(new RemapConfig()));
}
