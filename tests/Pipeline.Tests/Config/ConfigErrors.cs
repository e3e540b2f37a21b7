using Pipeline.Config;

namespace Pipeline.Tests.Config;

/// <summary>Loads YAML that is expected to fail and finds the error a test is about.</summary>
internal static class ConfigErrors
{
    public const string File = "test.yaml";

    public static IReadOnlyList<ConfigError> Of(string yaml, IReadOnlyDictionary<string, string>? environment = null)
    {
        var exception = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, File, new TestComponents().Catalog, environment ?? new Dictionary<string, string>()));
        Assert.NotEmpty(exception.Errors);
        return exception.Errors;
    }

    /// <summary>The one error whose message contains <paramref name="text"/>, checked to stand at line:col.</summary>
    public static ConfigError Single(IReadOnlyList<ConfigError> errors, string text, int line, int column)
    {
        var matching = errors.Where(e => e.Message.Contains(text, StringComparison.Ordinal)).ToList();
        Assert.True(matching.Count == 1, $"expected one error containing \"{text}\", found {matching.Count} in:\n{string.Join("\n", errors)}");
        var error = matching[0];
        Assert.Equal((File, line, column), (error.Mark.File, error.Mark.Line, error.Mark.Column));
        return error;
    }

    /// <summary>The error is the only one: the binder must not add follow-on noise.</summary>
    public static ConfigError Only(IReadOnlyList<ConfigError> errors, string text, int line, int column)
    {
        Assert.True(errors.Count == 1, $"expected exactly one error, found {errors.Count}:\n{string.Join("\n", errors)}");
        return Single(errors, text, line, column);
    }
}
