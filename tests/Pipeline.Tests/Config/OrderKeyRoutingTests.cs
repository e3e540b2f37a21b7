using Pipeline.Config;
using Pipeline.Events;
using Pipeline.Isolates;

namespace Pipeline.Tests.Config;

/// <summary>A stage behind an ordered source (a Kafka source's partitions) keeps each partition's order by default.</summary>
public sealed class OrderKeyRoutingTests
{
    private static PipelineConfig Load(string stageSettings, string inputs = "[kafka]")
        => ConfigLoader.LoadYaml($"""
            sources:
              kafka: {"{"}type: partitioned{"}"}
              other: {"{"}type: gen{"}"}
            stages:
              enrich:
                type: pass
                inputs: {inputs}
                isolates: 2
                {stageSettings}
            sinks:
              o: {"{"}type: out, inputs: [enrich, other]{"}"}
            """, ConfigErrors.File, new TestComponents().Catalog, new Dictionary<string, string>());

    [Fact]
    public void A_stage_fed_only_by_an_ordered_source_routes_by_key_affinity_on_its_order_key()
    {
        var stage = Load("").Stages.Single().Stage;

        Assert.Equal(RouterKind.KeyAffinity, stage.Router);
        Assert.Equal(FieldPath.Parse(".partition"), stage.Key);
    }

    [Fact]
    public void A_router_the_user_set_is_kept_and_warned_about_when_it_can_reorder_a_partition()
    {
        var config = Load("router: round_robin");

        Assert.Equal(RouterKind.RoundRobin, config.Stages.Single().Stage.Router);
        var warning = Assert.Single(config.Warnings);
        Assert.Contains("'enrich' takes ordered input", warning.Message, StringComparison.Ordinal);
        Assert.Contains("out of order", warning.Message, StringComparison.Ordinal);
        Assert.Equal(9, warning.Mark.Line);
    }

    [Fact]
    public void Key_affinity_on_the_order_key_set_explicitly_is_not_warned_about()
    {
        var config = Load("router: key_affinity\n    key: .partition");

        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void A_stage_that_also_takes_unordered_input_keeps_the_default_router()
    {
        var stage = Load("", inputs: "[kafka, other]").Stages.Single().Stage;

        Assert.Equal(RouterKind.RoundRobin, stage.Router);
    }

    [Theory]
    [InlineData(2, new[] { 0, 1, 0, 1 })]
    [InlineData(3, new[] { 0, 1, 2, 0 })]
    public void Small_integer_keys_such_as_partitions_spread_evenly_over_the_isolates(int isolates, int[] expected)
    {
        var router = new KeyAffinityRouter(FieldPath.Parse(".partition"), isolates);

        var routed = Enumerable.Range(0, 4).Select(p => router.Route(Event.Parse($$"""{"partition":{{p}}}"""))).ToArray();

        Assert.Equal(expected, routed);
    }
}
