namespace Pipeline.Components;

/// <summary>Every built-in component: one registration line each.</summary>
public static class BuiltInComponents
{
    public static ComponentCatalog Create() => new ComponentCatalog()
        // Sources
        // Processors
        // Sinks
        ;
}
