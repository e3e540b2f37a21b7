using Pipeline.Components;

namespace Pipeline.Config;

/// <summary>
/// Reads a topology YAML file into a validated <see cref="PipelineConfig"/>, or throws a <see cref="ConfigException"/>
/// listing every error with file:line:col.
/// </summary>
public static class ConfigLoader
{
    public const string EmbeddedDefaultName = "<embedded default>";

    /// <param name="environment">Variables for <c>${VAR}</c> interpolation; null means the process environment.</param>
    /// <exception cref="ConfigException">Every error in the file, each with file:line:col.</exception>
    /// <exception cref="IOException">The file cannot be read (it is not a config error, so it has no line).</exception>
    public static PipelineConfig LoadFile(string path, ComponentCatalog catalog, IReadOnlyDictionary<string, string>? environment = null)
    {
        // Read whole before it is parsed, so its size is bounded first; the largest shipped config is a few KiB.
        if (new FileInfo(path).Length is var length and > MaxFileBytes)
        {
            throw new ConfigException([new ConfigError(new SourceMark(path, 1, 1),
                $"the file is too large for a topology (expected at most {MaxFileBytes / (1024 * 1024)} MiB, found {length:N0} bytes)")]);
        }
        return LoadYaml(File.ReadAllText(path), path, catalog, environment);
    }

    /// <summary>The largest config file read: far above any topology, far below what reading it whole would cost.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    /// <param name="fileName">Used in every error's mark.</param>
    /// <exception cref="ConfigException">Every error in the text, each with file:line:col.</exception>
    public static PipelineConfig LoadYaml(string yaml, string fileName, ComponentCatalog catalog, IReadOnlyDictionary<string, string>? environment = null)
        => ConfigDocumentBinder.Load(yaml, fileName, catalog, environment);

    /// <summary>A side file of <c>tests:</c> for <paramref name="topology"/> (<c>pipeline test --tests</c>).</summary>
    /// <exception cref="ConfigException">Every error in the file, each with file:line:col.</exception>
    public static IReadOnlyList<UnitTests.ConfigUnitTest> LoadTestsFile(string path, PipelineConfig topology, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (new FileInfo(path).Length is var length and > MaxFileBytes)
        {
            throw new ConfigException([new ConfigError(new SourceMark(path, 1, 1),
                $"the file is too large for a tests file (expected at most {MaxFileBytes / (1024 * 1024)} MiB, found {length:N0} bytes)")]);
        }
        return UnitTests.UnitTestsFile.Load(File.ReadAllText(path), path, topology, environment);
    }

    public static PipelineConfig LoadEmbeddedDefault(ComponentCatalog catalog, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream("Pipeline.default.yaml")
            ?? throw new InvalidOperationException("the embedded default config is missing from the build");
        using var reader = new StreamReader(stream);
        return LoadYaml(reader.ReadToEnd(), EmbeddedDefaultName, catalog, environment);
    }
}
