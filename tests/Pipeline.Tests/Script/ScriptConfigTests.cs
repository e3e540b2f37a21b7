using Pipeline.Config;
using Pipeline.Tests.Config;

namespace Pipeline.Tests.Script;

/// <summary>What <c>validate</c> says about a script stage, before any engine runs.</summary>
public sealed class ScriptConfigTests
{
    private static string Topology(string scriptOptions) => $"""
        sources:
          in: {"{"}type: generator{"}"}
        stages:
          js:
            type: script
            inputs: [in]
        {scriptOptions}
        sinks:
          out: {"{"}type: stdout, inputs: [js]{"}"}
        """;

    private static IReadOnlyList<ConfigError> ErrorsOf(string yaml) => Assert.Throws<ConfigException>(
        () => ConfigLoader.LoadYaml(yaml, ConfigErrors.File, BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;

    [Fact]
    public void A_syntax_error_in_an_inline_script_is_reported_with_the_scripts_line_and_column()
    {
        var errors = ErrorsOf(Topology("""
                source: |
                  function process(event, emit) {
                    event.x = ;
                    emit(event);
                  }
            """));

        var error = ConfigErrors.Single(errors, "script line 2, column 13: Unexpected token ';'", 7, 5);
        Assert.StartsWith("test.yaml:7:5: error: stage 'js' (script): option 'source'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_syntax_error_in_a_script_file_is_reported_at_the_files_line_and_column()
    {
        var file = Path.Combine(Path.GetTempPath(), $"pipeline-script-{Guid.NewGuid():N}.js");
        File.WriteAllText(file, "function process(event, emit) {\n  emit(event)\n}\n}\n");
        try
        {
            var errors = ErrorsOf(Topology($"    file: {file}"));

            ConfigErrors.Single(errors, $"{file}:4:1: Unexpected token '}}'", 7, 5);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("    source: 'function handle(event, emit) { emit(event); }'", "the script declares no process function")]
    [InlineData("    file: /nonexistent/enrich.js", "expected a readable script file, found /nonexistent/enrich.js")]
    [InlineData("    outputs: [alerts]", "expected the script inline (source) or in a file (file), found neither")]
    [InlineData("    source: 'function process(e, emit) {}'\n    file: x.js", "expected either source or file, found both")]
    [InlineData("    source: 'function process(e, emit) {}'\n    outputs: [alerts, alerts]", "expected each output once, found 'alerts' twice")]
    [InlineData("    source: 'function process(e, emit) {}'\n    outputs: ['no.dots']", "output names are letters, digits, '_' and '-', found 'no.dots'")]
    [InlineData("    source: 'function process(e, emit) {}'\n    heap_limit: 1MiB", "expected at least 16MiB, found 1048576 bytes")]
    [InlineData("    source: 'function process(e, emit) {}'\n    engine: spidermonkey", "spidermonkey")]
    public void A_script_stage_that_cannot_run_is_refused_with_the_reason(string options, string expected)
    {
        var errors = ErrorsOf(Topology(options));

        Assert.Contains(errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("const process = (event, emit) => emit(event);")]
    [InlineData("var process = function (event, emit) { emit(event); };")]
    [InlineData("globalThis.process = function (event, emit) { emit(event); };")]
    public void A_script_may_define_process_as_a_function_value(string source)
    {
        var config = ConfigLoader.LoadYaml(Topology($"    source: '{source}'"), ConfigErrors.File, BuiltInComponents.Create(), new Dictionary<string, string>());

        Assert.Contains(config.Components, c => c.Id == "js");
    }
}
