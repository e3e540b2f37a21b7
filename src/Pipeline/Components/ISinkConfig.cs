namespace Pipeline.Components;

/// <summary>
/// A sink type's config: its <see cref="OptionAttribute"/> properties are what the YAML says, and
/// <see cref="Build"/> is its build step. Mark the class with <see cref="ComponentAttribute"/>.
/// </summary>
public interface ISinkConfig
{
    /// <summary>
    /// Validates the bound options (throwing <see cref="ComponentBuildException"/> naming the option that is wrong)
    /// and returns the factory of the per-isolate instances.
    /// </summary>
    ISinkFactory Build(ComponentContext context);
}
