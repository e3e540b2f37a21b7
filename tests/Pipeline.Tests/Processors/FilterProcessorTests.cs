using Pipeline.Components;
using Pipeline.Processors;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class FilterProcessorTests
{
    private static IProcessorFactory Filter(string condition) => Build(new FilterConfig { Condition = condition });

    [Fact]
    public void Matching_events_pass_through_unchanged()
    {
        var emitted = Run(Filter(".level == \"error\""), """{"level":"error","n":1}""");
        Assert.Equal("""{"level":"error","n":1}""", Assert.Single(emitted.Default).ToString());
    }

    [Fact]
    public void Events_that_do_not_match_are_dropped()
        => Assert.Empty(Run(Filter(".level == \"error\""), """{"level":"info"}""").Emitted);

    [Fact]
    public void Events_missing_the_field_are_dropped_without_error()
        => Assert.Empty(Run(Filter(".status >= 500"), """{"level":"info"}""").Emitted);

    [Fact]
    public void A_field_of_the_wrong_type_does_not_match()
        => Assert.Empty(Run(Filter(".status >= 500"), """{"status":"503"}""").Emitted);

    [Fact]
    public void Each_isolate_gets_its_own_processor()
    {
        var factory = Filter("exists(.a)");
        Assert.NotSame(factory.CreateForIsolate(0), factory.CreateForIsolate(1));
    }

    [Fact]
    public void An_invalid_condition_fails_the_build_naming_the_option()
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Filter(".level === \"x\""));
        Assert.Equal("condition", ex.Option);
        Assert.Equal(7, ex.Offset);
        Assert.StartsWith("invalid condition: '===' is not an operator", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_condition_fails_the_build()
        => Assert.Equal("condition", Assert.Throws<ComponentBuildException>(() => Build(new FilterConfig())).Option);
}
