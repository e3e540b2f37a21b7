using System.Text;
using Pipeline.Config;

namespace Pipeline.Tests.Config;

/// <summary>
/// Hostile YAML cannot keep <c>validate</c> busy or crash it: aliases are counted as copies of their anchors and the
/// document's expanded size is bounded, and so is the nesting depth.
/// </summary>
public sealed class YamlExpansionBoundsTests
{
    // Loading a bounded document takes milliseconds; an unbounded 10-level bomb took 80 s. Only a hang guard.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(5);

    private const string Topology = """
        sources:
          in: {type: gen}
        sinks:
          o: {type: out, inputs: [in]}
        """;

    /// <summary>
    /// Level 0 is nine scalars; each level above is nine aliases of the one below, so level n stands for 9^(n+1)
    /// scalars. It sits in a sink's option so that, unbounded, every later step would walk it.
    /// </summary>
    private static string AliasBomb(int levels)
    {
        var text = new StringBuilder("""
            sources:
              in: {type: gen}
            sinks:
              o:
                type: out
                inputs: [in]
                tags:

            """);
        text.Append("      - &l0 [x, x, x, x, x, x, x, x, x]\n");
        for (var level = 1; level < levels; level++)
        {
            text.Append($"      - &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 9))}]\n");
        }
        return text.ToString();
    }

    private static async Task<IReadOnlyList<ConfigError>> ErrorsWithinHangGuardAsync(string yaml)
        => await Task.Run(() => ConfigErrors.Of(yaml), TestContext.Current.CancellationToken)
            .WaitAsync(HangGuard, TestContext.Current.CancellationToken);

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    public async Task An_alias_bomb_is_rejected_at_the_alias_that_passes_the_expanded_size_bound(int levels)
    {
        var errors = await ErrorsWithinHangGuardAsync(AliasBomb(levels));

        // Levels 0-4 hold about 75,000 nodes expanded; the first alias of level 5 (line 13) adds 66,430 more.
        var error = ConfigErrors.Only(errors, "the document is too large with its aliases expanded", 13, 14);
        Assert.Contains("expected at most 100,000 YAML nodes", error.Message, StringComparison.Ordinal);
        Assert.Contains("with this alias *l4, a copy of 66,430 nodes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nesting_deeper_than_the_bound_is_an_error_at_the_first_level_too_deep_not_a_stack_overflow()
    {
        var depth = 100_000;
        var yaml = Topology + "\n" + "extra: " + new string('[', depth) + new string(']', depth) + "\n";

        var errors = await ErrorsWithinHangGuardAsync(yaml);

        // "extra:" is on line 5; the root mapping is level 1, so the 64th '[' (column 8 + 63) is level 65.
        var error = ConfigErrors.Only(errors, "the YAML nests too deep", 5, 8 + ConfigYamlReader.MaxDepth - 1);
        Assert.Contains($"expected mappings and lists nested at most {ConfigYamlReader.MaxDepth} levels deep, found level {ConfigYamlReader.MaxDepth + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_up_to_the_bound_reads()
    {
        // The root mapping is level 1, sinks 2, o 3: 61 nested lists make 64.
        var inner = new string('[', ConfigYamlReader.MaxDepth - 3) + new string(']', ConfigYamlReader.MaxDepth - 3);

        var errors = ConfigErrors.Of(Topology.Replace("inputs: [in]}", $"inputs: [in], tags: {inner}}}", StringComparison.Ordinal));

        Assert.DoesNotContain(errors, e => e.Message.Contains("nests too deep", StringComparison.Ordinal));
    }

    [Fact]
    public void A_config_file_over_16_MiB_is_refused_before_it_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pipeline-too-large-{Guid.NewGuid():N}.yaml");
        try
        {
            using (var file = File.Create(path))
            {
                file.SetLength(ConfigLoader.MaxFileBytes + 1);
            }

            var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path, new TestComponents().Catalog)).Errors);

            Assert.Equal((path, 1, 1), (error.Mark.File, error.Mark.Line, error.Mark.Column));
            Assert.Equal("the file is too large for a topology (expected at most 16 MiB, found 16,777,217 bytes)", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_alias_inside_its_own_anchor_is_a_cycle_and_an_error_at_the_alias()
    {
        var errors = ConfigErrors.Of(Topology + "\nextra: &loop [a, *loop]\n");

        ConfigErrors.Only(errors, "alias *loop stands inside the node its anchor &loop names (expected an alias to a node defined before it, found a cycle)", 5, 18);
    }

    [Fact]
    public void Anchors_and_aliases_that_share_options_still_load()
    {
        var config = ConfigLoader.LoadYaml("""
            sources:
              in: {type: gen, label: "shared"}
            stages:
              errors:
                type: check
                condition: &condition '.level == "error"'
                inputs: [in]
              again:
                type: check
                condition: *condition
                inputs: [errors]
            sinks:
              o: {type: out, inputs: [again]}
              p: &sink {type: out, inputs: [again]}
              q: *sink
            """, "shared.yaml", new TestComponents().Catalog, new Dictionary<string, string>());

        Assert.Equal(2, config.Stages.Count(s => ((TestComponents.CheckOptions)s.Options).Condition == ".level == \"error\""));
        Assert.Equal(["o", "p", "q"], config.Sinks.Select(s => s.Id));
        Assert.Equal("shared", ((TestComponents.GeneratorOptions)config.Sources.Single().Options).Label);
    }

    [Fact]
    public void A_shared_value_is_interpolated_once_so_a_literal_dollar_stays_literal()
    {
        var config = ConfigLoader.LoadYaml("""
            sources:
              a: {type: gen, label: &label "$${HOME}"}
              b: {type: gen, label: *label}
            sinks:
              o: {type: out, inputs: [a, b]}
            """, "shared.yaml", new TestComponents().Catalog, new Dictionary<string, string> { ["HOME"] = "/root" });

        Assert.All(config.Sources, s => Assert.Equal("${HOME}", ((TestComponents.GeneratorOptions)s.Options).Label));
    }
}
