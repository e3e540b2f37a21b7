namespace Pipeline.Config;

/// <summary>
/// The YAML reader stopped because the document passed one of its size or depth bounds; the error says where.
/// Reading stops at once: what follows would only cost more time and memory to report nothing new.
/// </summary>
internal sealed class YamlLimitException(ConfigError error) : Exception(error.ToString())
{
    public ConfigError Error { get; } = error;
}
