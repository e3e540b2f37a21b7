namespace Pipeline.Components;

/// <summary>
/// Marks a property of a component's options class as a YAML option. The option name is the property name in
/// snake_case unless <see cref="Name"/> says otherwise. The same metadata feeds validation and docs/components.md.
/// </summary>
/// <remarks>
/// Supported property types: string, int, long, double, bool, TimeSpan (durations like "250ms", "5s"),
/// <see cref="ByteSize"/> ("10MiB"), enums (snake_case names), FieldPath, List&lt;string&gt;, List&lt;FieldPath&gt;,
/// Dictionary&lt;string,string&gt;, and nullable forms of these.
/// </remarks>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAttribute(string description) : Attribute
{
    public string Description { get; } = description;

    /// <summary>The YAML name; defaults to the property name in snake_case.</summary>
    public string? Name { get; init; }

    public bool Required { get; init; }

    /// <summary>An example value for the docs, written as YAML.</summary>
    public string? Example { get; init; }
}
