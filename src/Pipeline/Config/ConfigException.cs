namespace Pipeline.Config;

/// <summary>The config could not be loaded; <see cref="Errors"/> lists every problem found, not just the first.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
