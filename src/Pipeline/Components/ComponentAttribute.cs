namespace Pipeline.Components;

/// <summary>
/// Names a component type for YAML (<c>type: filter</c>) and describes it for docs/components.md. It sits on the
/// component's config class, so a component's name, description, options and build step live in one file and its
/// registration is one line: <c>.Add&lt;FilterConfig&gt;()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ComponentAttribute(string type, string description) : Attribute
{
    /// <summary>The YAML <c>type:</c> value, in snake_case.</summary>
    public string Type { get; } = type;

    /// <summary>One sentence for the component reference.</summary>
    public string Description { get; } = description;

    /// <summary>A YAML snippet the component reference shows under the description, for a component whose options alone do not show how it is used.</summary>
    public string? Example { get; init; }

    /// <summary>The docs page with the whole story (relative to docs/), linked from the component reference.</summary>
    public string? Guide { get; init; }
}
