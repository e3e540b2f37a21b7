using Pipeline.Components;
using Pipeline.Processors;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class RouteProcessorTests
{
    private static IProcessorFactory Route() => Build(new RouteConfig
    {
        Routes = new()
        {
            ["errors"] = ".level == \"error\"",
            ["slow"] = ".duration_ms > 1000",
            ["api"] = "starts_with(.path, \"/api\")",
        },
    });

    [Fact]
    public void Named_outputs_are_the_routes_in_declaration_order_then_unmatched()
    {
        var factory = Route();
        Assert.Equal(["errors", "slow", "api", "_unmatched"], factory.NamedOutputs);
        Assert.False(factory.HasDefaultOutput);
    }

    [Fact]
    public void An_event_goes_to_the_route_it_matches()
    {
        var emitted = Run(Route(), """{"level":"error","duration_ms":5}""");
        var (output, evt) = Assert.Single(emitted.Emitted);
        Assert.Equal(0, output);
        Assert.Equal("""{"level":"error","duration_ms":5}""", evt.ToString());
    }

    [Fact]
    public void An_event_matching_no_route_goes_to_unmatched()
    {
        var emitted = Run(Route(), """{"level":"info"}""");
        Assert.Equal(3, Assert.Single(emitted.Emitted).Output);
    }

    [Fact]
    public void An_event_matching_several_routes_goes_to_each_as_an_independent_copy()
    {
        var emitted = Run(Route(), """{"level":"error","duration_ms":5000,"path":"/api/x"}""");

        Assert.Equal([0, 1, 2], emitted.Emitted.Select(e => e.Output));
        var events = emitted.Emitted.Select(e => e.Event).ToArray();
        Assert.Equal(3, events.Distinct().Count());
        events[0].SetString(Path(".changed"), "yes");
        Assert.False(events[1].Exists(Path(".changed")));
        Assert.False(events[2].Exists(Path(".changed")));
        Assert.Equal("""{"level":"error","duration_ms":5000,"path":"/api/x"}""", events[2].ToString());
    }

    [Fact]
    public void A_missing_field_or_a_wrong_type_just_does_not_match()
    {
        var emitted = Run(Route(), """{"duration_ms":"slow","path":42}""");
        Assert.Equal(3, Assert.Single(emitted.Emitted).Output);
    }

    [Fact]
    public void An_invalid_route_condition_fails_the_build_naming_the_route_so_the_error_points_at_its_line()
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Build(new RouteConfig { Routes = new() { ["bad"] = ".x ==" } }));
        Assert.Equal("routes.bad", ex.Option);
    }

    [Theory]
    [InlineData("_unmatched")]
    [InlineData("has space")]
    [InlineData("a.b")]
    public void Route_names_that_cannot_be_referenced_fail_the_build(string name)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Build(new RouteConfig { Routes = new() { [name] = "exists(.x)" } }));
        Assert.Equal("routes", ex.Option);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_routes_fails_the_build()
        => Assert.Equal("routes", Assert.Throws<ComponentBuildException>(() => Build(new RouteConfig())).Option);
}
