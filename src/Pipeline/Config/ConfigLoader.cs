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
    public static PipelineConfig LoadFile(string path, ComponentCatalog catalog, IReadOnlyDictionary<string, string>? environment = null)
        => throw new NotImplementedException();

    public static PipelineConfig LoadYaml(string yaml, string fileName, ComponentCatalog catalog, IReadOnlyDictionary<string, string>? environment = null)
        => throw new NotImplementedException();

    public static PipelineConfig LoadEmbeddedDefault(ComponentCatalog catalog, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream("Pipeline.default.yaml")
            ?? throw new InvalidOperationException("the embedded default config is missing from the build");
        using var reader = new StreamReader(stream);
        return LoadYaml(reader.ReadToEnd(), EmbeddedDefaultName, catalog, environment);
    }
}
