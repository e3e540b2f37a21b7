using System.Reflection;

namespace Pipeline.Components;

/// <summary>One YAML option of a component, read from its options class by reflection once at startup.</summary>
public sealed record OptionDescriptor(
    string Name,
    PropertyInfo Property,
    string Description,
    bool Required,
    string TypeName,
    string? DefaultText,
    string? Example);
