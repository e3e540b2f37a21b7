using Pipeline.Config;
using Pipeline.Topology;

namespace Pipeline.Tests.Config;

public sealed class GraphRendererTests
{
    // Fan-out from 'in' to three stages, fan-in of all three into one sink, one edge through a named output.
    internal const string FanOutFanIn = """
        name: demo
        sources:
          in: {type: gen}
        stages:
          split: {type: route, routes: [errors], inputs: [in]}
          a: {type: pass, inputs: [in]}
          b: {type: pass, inputs: [in]}
        sinks:
          out: {type: out, inputs: [split.errors, a, b]}
        """;

    private static PipelineConfig Load() => ConfigLoader.LoadYaml(FanOutFanIn, "g.yaml", new TestComponents().Catalog, new Dictionary<string, string>());

    [Fact]
    public void Dot_draws_nodes_by_kind_and_labels_named_output_edges()
    {
        Assert.Equal("""
            digraph "demo" {
              rankdir=LR;
              "in" [label="in (gen)", shape=ellipse];
              "split" [label="split (route)", shape=box];
              "a" [label="a (pass)", shape=box];
              "b" [label="b (pass)", shape=box];
              "out" [label="out (out)", shape=hexagon];
              "in" -> "split";
              "in" -> "a";
              "in" -> "b";
              "split" -> "out" [label="errors"];
              "a" -> "out";
              "b" -> "out";
            }

            """, GraphRenderer.RenderDot(Load()));
    }

    [Fact]
    public void Mermaid_draws_a_left_to_right_flowchart()
    {
        Assert.Equal("""
            flowchart LR
              n0(["in (gen)"])
              n1["split (route)"]
              n2["a (pass)"]
              n3["b (pass)"]
              n4{{"out (out)"}}
              n0 --> n1
              n0 --> n2
              n0 --> n3
              n1 -->|"errors"| n4
              n2 --> n4
              n3 --> n4

            """, GraphRenderer.RenderMermaid(Load()));
    }
}
