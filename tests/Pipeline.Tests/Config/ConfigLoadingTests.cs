using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Events;

namespace Pipeline.Tests.Config;

public sealed class ConfigLoadingTests
{
    private const string Valid = """
        name: edge
        data_dir: /var/lib/pipeline
        shutdown_timeout: 45s
        admin: {address: "127.0.0.1:9000"}
        dead_letter: {path: /tmp/dead.jsonl}
        sources:
          web: {type: http}
          gen: {type: gen, rate: 500}
        stages:
          split:
            type: route
            routes: [errors, rest]
            inputs: [web, gen]
          check:
            type: check
            condition: .level == "error"
            inputs: [split.errors]
            isolates: 2
        sinks:
          out:
            type: out
            inputs: [check, split.rest]
        """;

    [Fact]
    public void A_valid_file_loads_with_its_top_level_settings()
    {
        var config = ConfigLoader.LoadYaml(Valid, "edge.yaml", new TestComponents().Catalog, new Dictionary<string, string>());

        Assert.Equal("edge.yaml", config.File);
        Assert.Equal("edge", config.Name);
        Assert.Equal("/var/lib/pipeline", config.DataDirectory);
        Assert.Equal(TimeSpan.FromSeconds(45), config.ShutdownTimeout);
        Assert.Equal("127.0.0.1:9000", config.AdminAddress);
        Assert.Equal("/tmp/dead.jsonl", config.ResolvedDeadLetterPath);
    }

    [Fact]
    public void Top_level_settings_have_defaults()
    {
        var config = ConfigLoader.LoadYaml("""
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in]}
            """, "min.yaml", new TestComponents().Catalog, new Dictionary<string, string>());

        Assert.Equal("pipeline", config.Name);
        Assert.Equal("data", config.DataDirectory);
        Assert.Equal(TimeSpan.FromSeconds(30), config.ShutdownTimeout);
        Assert.Equal("0.0.0.0:9464", config.AdminAddress);
        Assert.Equal(Path.Combine("data", "dead-letter.jsonl"), config.ResolvedDeadLetterPath);
    }

    [Fact]
    public void Components_keep_their_kind_inputs_and_marks_in_file_order()
    {
        var config = ConfigLoader.LoadYaml(Valid, "edge.yaml", new TestComponents().Catalog, new Dictionary<string, string>());

        Assert.Equal(["web", "gen"], config.Sources.Select(c => c.Id));
        Assert.Equal(["split", "check"], config.Stages.Select(c => c.Id));
        Assert.Equal(["out"], config.Sinks.Select(c => c.Id));
        var out_ = config.Sinks.Single();
        Assert.Equal(["check", "split.rest"], out_.Inputs.Select(i => i.Text));
        Assert.Equal(("split", "rest"), (out_.Inputs[1].ComponentId, out_.Inputs[1].Output));
        Assert.Equal(new SourceMark("edge.yaml", 22, 14), out_.Inputs[0].Mark);
        Assert.Equal(new SourceMark("edge.yaml", 20, 3), out_.Mark);
        var check = config.Stages.Single(s => s.Id == "check");
        Assert.Equal(new SourceMark("edge.yaml", 16, 5), check.OptionMarks["condition"]);
        Assert.Equal(2, check.Stage.Isolates);
        Assert.Equal("check", check.Type);
        Assert.Equal(ComponentKind.Processor, check.Kind);
    }

    [Fact]
    public void Each_component_is_built_exactly_once_with_its_context()
    {
        var components = new TestComponents();

        var config = ConfigLoader.LoadYaml(Valid, "edge.yaml", components.Catalog, new Dictionary<string, string>());

        Assert.Equal(config.Components.Count, components.Builds);
        var gen = Assert.IsType<TestComponents.SourceFactory>(config.Sources.Single(s => s.Id == "gen").Factory);
        Assert.Equal(("gen", "edge", "/var/lib/pipeline"), (gen.Context.ComponentId, gen.Context.PipelineName, gen.Context.DataDirectory));
        Assert.Same(config.Sources.Single(s => s.Id == "gen").Options, gen.Options);
        Assert.Equal(["errors", "rest"], Assert.IsAssignableFrom<IProcessorFactory>(config.Stages.First().Factory).NamedOutputs);
        Assert.IsAssignableFrom<ISinkFactory>(config.Sinks.Single().Factory);
    }

    [Fact]
    public void Nothing_is_built_for_a_component_with_errors()
    {
        var components = new TestComponents();

        Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml("""
            sources:
              in: {type: gen, rate: fast}
            sinks:
              o: {type: out, inputs: [in]}
            """, "t.yaml", components.Catalog, new Dictionary<string, string>()));

        Assert.Equal(1, components.Builds);
    }

    [Fact]
    public void Options_bind_to_every_supported_type_and_unset_ones_keep_their_initializers()
    {
        var config = ConfigLoader.LoadYaml("""
            sources:
              in: {type: gen}
            stages:
              c:
                type: check
                inputs: [in]
                condition: ok
                big: 9000000000
                ratio: 0.25
                enabled: false
                timeout: 250ms
                max_size: 10MiB
                speed: very_slow
                field: .user.id
                fields: [.a, b.c]
                tags: [x, "y"]
                labels: {team: core, env: "${ENV:-dev}"}
                limit: 7
                max-depth: 9
            sinks:
              o: {type: out, inputs: [c]}
            """, "t.yaml", new TestComponents().Catalog, new Dictionary<string, string>());

        var options = (TestComponents.CheckOptions)config.Stages.Single().Options;
        Assert.Equal("ok", options.Condition);
        Assert.Equal(5, options.Threshold);
        Assert.Equal(9_000_000_000L, options.Big);
        Assert.Equal(0.25, options.Ratio);
        Assert.False(options.Enabled);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Timeout);
        Assert.Equal(10L * 1024 * 1024, options.MaxSize.Bytes);
        Assert.Equal(TestComponents.Speed.VerySlow, options.Speed);
        Assert.Equal(FieldPath.Parse(".user.id"), options.Field);
        Assert.Equal([FieldPath.Parse(".a"), FieldPath.Parse(".b.c")], options.Fields);
        Assert.Equal(["x", "y"], options.Tags);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "core", ["env"] = "dev" }, options.Labels);
        Assert.Equal(7, options.Limit);
        Assert.Equal(9, options.Depth);
        Assert.Equal("out.log", ((TestComponents.SinkOptions)config.Sinks.Single().Options).Path);
    }

    [Fact]
    public void Anchors_and_aliases_reuse_a_value()
    {
        var config = ConfigLoader.LoadYaml("""
            sources:
              in: {type: gen, rate: &rate 42}
              again: {type: gen, rate: *rate}
            sinks:
              o: {type: out, inputs: [in, again]}
            """, "t.yaml", new TestComponents().Catalog, new Dictionary<string, string>());

        Assert.Equal(42, ((TestComponents.GeneratorOptions)config.Sources.Last().Options).Rate);
    }

    [Fact]
    public void LoadFile_reports_errors_with_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pipeline-config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "sources:\n  in: {type: gen}\nsinks:\n  o: {type: out, inputs: [nope]}\n");
        try
        {
            var exception = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile(path, new TestComponents().Catalog, new Dictionary<string, string>()));

            Assert.StartsWith($"{path}:4:27: error: sink 'o' (out): unknown input 'nope'", Assert.Single(exception.Errors).ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
