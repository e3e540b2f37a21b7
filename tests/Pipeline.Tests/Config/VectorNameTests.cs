using Pipeline.Config;

namespace Pipeline.Tests.Config;

/// <summary>A config written from Vector's documentation is met with Pipeline's name for each thing Vector names otherwise.</summary>
public sealed class VectorNameTests
{
    private static IReadOnlyList<ConfigError> ErrorsOf(string yaml)
        => Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, ConfigErrors.File, BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;

    [Fact]
    public void Top_level_transforms_suggests_stages_and_says_why()
    {
        var errors = ErrorsOf("""
            sources:
              in: {type: generator}
            transforms:
              keep: {type: filter, inputs: [in], condition: .level == "error"}
            sinks:
              out: {type: stdout, inputs: [in]}
            """);

        var error = ConfigErrors.Only(errors, "unknown top-level key 'transforms' (Pipeline calls Vector's transforms stages; expected one of", 3, 1);
        Assert.EndsWith("(did you mean 'stages'?)", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Stages_under_transforms_are_still_checked_so_one_run_shows_every_other_error()
    {
        var errors = ErrorsOf("""
            sources:
              in: {type: generator}
            transforms:
              keep: {type: filter, inputs: [in], condition: level == 1}
            sinks:
              out: {type: stdout, inputs: [keep]}
            """);

        ConfigErrors.Single(errors, "unknown top-level key 'transforms'", 3, 1);
        ConfigErrors.Single(errors, "unknown name 'level'", 4, 49);
        Assert.Equal(2, errors.Count);
    }

    [Theory]
    [InlineData("sources", "demo_logs", "generator", "Vector's demo_logs source is Pipeline's generator")]
    [InlineData("sources", "http_server", "http", "Vector's http_server source is Pipeline's http")]
    [InlineData("sources", "kubernetes_logs", "file", "Pipeline's file source with format: cri, followed by a kubernetes stage")]
    [InlineData("sinks", "console", "stdout", "Vector's console sink is Pipeline's stdout")]
    public void Vectors_type_names_suggest_ours(string section, string vectorType, string ours, string note)
    {
        var yaml = section == "sources"
            ? $"sources:\n  x: {{type: {vectorType}}}\nsinks:\n  out: {{type: stdout, inputs: [x]}}\n"
            : $"sources:\n  in: {{type: generator}}\nsinks:\n  x: {{type: {vectorType}, inputs: [in]}}\n";

        var error = ConfigErrors.Only(ErrorsOf(yaml), note, section == "sources" ? 2 : 4, 13);
        Assert.Equal(ours, error.Suggestion);
    }

    [Fact]
    public void Vectors_option_names_suggest_ours_or_say_there_is_none()
    {
        var errors = ErrorsOf("""
            sources:
              demo:
                type: generator
                interval: 1
            sinks:
              print:
                type: stdout
                inputs: [demo]
                encoding:
                  codec: json
            """);

        var interval = ConfigErrors.Single(errors, "unknown option 'interval' (Vector's interval is seconds between events; Pipeline's rate is events per second;", 4, 5);
        Assert.Equal("rate", interval.Suggestion);
        var encoding = ConfigErrors.Single(errors, "unknown option 'encoding' (Pipeline's sinks always write JSON lines, so there is no encoding to choose;", 9, 5);
        Assert.Null(encoding.Suggestion);
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void A_typo_of_the_file_sinks_path_is_the_only_error()
    {
        var errors = ErrorsOf("""
            sources:
              in: {type: generator}
            sinks:
              out:
                type: file
                inputs: [in]
                pth: ./x.ndjson
            """);

        var error = ConfigErrors.Only(errors, "sink 'out' (file): unknown option 'pth'", 7, 5);
        Assert.Equal("test.yaml:7:5: error: sink 'out' (file): unknown option 'pth' (expected one of path, max_size, max_files, or a stage setting) (did you mean 'path'?)", error.ToString());
    }

    [Fact]
    public void A_typo_inside_an_options_block_is_reported_without_the_required_option_it_was_meant_to_be()
    {
        var errors = ErrorsOf("""
            sources:
              in:
                type: http
                address: 127.0.0.1:0
                tls: {cert_fle: /c.pem, key_file: /k.pem}
            sinks:
              out: {type: stdout, inputs: [in]}
            """);

        var error = ConfigErrors.Only(errors, "unknown option", 5, 11);
        Assert.Equal("cert_file", error.Suggestion);
    }
}
