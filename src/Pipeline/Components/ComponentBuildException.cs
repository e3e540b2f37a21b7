namespace Pipeline.Components;

/// <summary>
/// Thrown by a component's build step when an option is well-typed but wrong (a bad regex, an expression that does
/// not compile). <see cref="Option"/> names the YAML option so the error can point at its line and column.
/// </summary>
public sealed class ComponentBuildException(string option, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Option { get; } = option;
}
