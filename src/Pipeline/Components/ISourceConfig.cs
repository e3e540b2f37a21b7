namespace Pipeline.Components;

/// <summary>
/// A source type's config: its <see cref="OptionAttribute"/> properties are what the YAML says, and
/// <see cref="Build"/> is its build step. Mark the class with <see cref="ComponentAttribute"/>.
/// </summary>
public interface ISourceConfig
{
    /// <summary>
    /// Validates the bound options, throwing <see cref="ComponentBuildException"/> naming the option that is wrong,
    /// and returns what the runtime starts (and restarts after a failure).
    /// </summary>
    ISourceFactory Build(ComponentContext context);
}
