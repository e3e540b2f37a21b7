using Pipeline.Config;
using Pipeline.Host;

namespace Pipeline.Tests.Config;

public sealed class ConfigWarningTests : IDisposable
{
    private const string VectorStyle = """
        admin: { address: "127.0.0.1:0" }
        sources:
          in:
            type: stdin
        stages:
          parse:
            type: parse_json
            inputs: [in]
        sinks:
          out:
            type: blackhole
            inputs: [parse]
        """;

    private const string ExpectedMessage =
        "stage 'parse' (parse_json): the source 'in' already decodes JSON (decoding.codec: json), so parse_json on the whole event re-parses a parsed event; set decoding: { codec: text } on the source, or parse a field with `field:`";

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-warnings-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static PipelineConfig Load(string yaml)
        => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());

    [Fact]
    public void Parse_json_behind_a_source_that_decodes_json_warns_at_the_stages_type()
    {
        var warning = Assert.Single(Load(VectorStyle).Warnings);

        Assert.Equal((7, 5), (warning.Mark.Line, warning.Mark.Column));
        Assert.Equal(ExpectedMessage, warning.Message);
        Assert.Equal("test.yaml:7:5: warning: " + ExpectedMessage, warning.ToString());
    }

    [Fact]
    public void Parse_json_behind_an_http_source_with_the_default_json_codec_warns_too()
    {
        var yaml = VectorStyle.Replace("type: stdin", "type: http\n    address: \"127.0.0.1:0\"", StringComparison.Ordinal);

        var warning = Assert.Single(Load(yaml).Warnings);

        Assert.Equal(ExpectedMessage, warning.Message);
    }

    [Fact]
    public void Parse_json_behind_an_http_source_with_the_text_codec_does_not_warn()
    {
        var yaml = VectorStyle.Replace("type: stdin", "type: http\n    address: \"127.0.0.1:0\"\n    decoding: { codec: text }", StringComparison.Ordinal);

        Assert.Empty(Load(yaml).Warnings);
    }

    [Theory]
    [InlineData("decoding: { codec: text }", "")]
    [InlineData("", "field: .payload")]
    public void Parse_json_on_text_or_on_a_named_field_does_not_warn(string sourceOption, string stageOption)
    {
        var yaml = VectorStyle
            .Replace("type: stdin", "type: stdin\n    " + sourceOption, StringComparison.Ordinal)
            .Replace("type: parse_json", "type: parse_json\n    " + stageOption, StringComparison.Ordinal);

        Assert.Empty(Load(yaml).Warnings);
    }

    [Fact]
    public async Task Validate_prints_the_warning_on_stderr_counts_it_and_still_exits_0()
    {
        var path = Path.Combine(_directory, "vector-style.yaml");
        await File.WriteAllTextAsync(path, VectorStyle, TestContext.Current.CancellationToken);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await Cli.RunAsync(["validate", "--config", path], stdout, stderr, BuiltInComponents.Create(), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(0, exitCode);
        Assert.Equal($"{path}:7:5: warning: {ExpectedMessage}{Environment.NewLine}", stderr.ToString());
        Assert.Equal($"{path}: valid: 1 source, 1 stage, 1 sink, 1 warning{Environment.NewLine}", stdout.ToString());
    }

    [Fact]
    public void Unknown_keys_in_decoding_and_framing_get_a_did_you_mean()
    {
        var yaml = VectorStyle.Replace("type: stdin", "type: stdin\n    decoding: { codex: text }", StringComparison.Ordinal);

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(yaml)).Errors);

        Assert.Equal("codec", error.Suggestion);
        Assert.Contains("decoding.codex", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Framing_on_an_http_source_with_the_json_codec_is_an_error_that_names_the_codecs_it_applies_to()
    {
        var yaml = VectorStyle.Replace("type: stdin", "type: http\n    address: \"127.0.0.1:0\"\n    framing: { method: bytes }", StringComparison.Ordinal);

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(yaml)).Errors);

        Assert.Contains("framing", error.Message, StringComparison.Ordinal);
        Assert.Contains("applies to the codecs text, logfmt and syslog", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Character_delimited_framing_on_an_http_source_without_a_single_character_delimiter_is_an_error()
    {
        var yaml = VectorStyle.Replace(
            "type: stdin",
            "type: http\n    address: \"127.0.0.1:0\"\n    decoding: { codec: text }\n    framing: { method: character_delimited, character_delimited: { delimiter: \"ab\" } }",
            StringComparison.Ordinal);

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(yaml)).Errors);

        Assert.Contains("framing.character_delimited.delimiter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Character_delimited_framing_without_a_single_character_delimiter_is_an_error()
    {
        var yaml = VectorStyle.Replace(
            "type: stdin", "type: stdin\n    framing: { method: character_delimited, character_delimited: { delimiter: \"ab\" } }", StringComparison.Ordinal);

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(yaml)).Errors);

        Assert.Contains("framing.character_delimited.delimiter", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected one ASCII character, found 'ab'", error.Message, StringComparison.Ordinal);
    }
}
