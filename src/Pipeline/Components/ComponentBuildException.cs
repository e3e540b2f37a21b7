namespace Pipeline.Components;

/// <summary>
/// Thrown by a component's build step when an option is well-typed but wrong (a bad regex, an expression that does
/// not compile). <see cref="Option"/> names the YAML option so the error can point at its line and column.
/// </summary>
public sealed class ComponentBuildException(string option, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Option { get; } = option;

    /// <summary>
    /// Where in the option's text the error is (0-based), when the option is text with a syntax (a condition); the
    /// config binder adds it to the value's column.
    /// </summary>
    public int? Offset { get; init; }

    /// <summary>
    /// Every error of the build when it found several (a tls block and an auth block both wrong): this one first.
    /// <c>validate</c> reports them all, so one run shows everything to fix.
    /// </summary>
    public IReadOnlyList<ComponentBuildException> All { get; private init; } = [];

    /// <summary>Runs each check, and throws one exception carrying every failure, if any failed.</summary>
    public static void ThrowIfAnyFails(params ReadOnlySpan<Action> checks)
    {
        List<ComponentBuildException>? failures = null;
        foreach (var check in checks)
        {
            try
            {
                check();
            }
            catch (ComponentBuildException e)
            {
                (failures ??= []).Add(e);
            }
        }
        if (failures is not null)
        {
            var first = failures[0];
            throw new ComponentBuildException(first.Option, first.Message, first.InnerException) { All = failures, Offset = first.Offset };
        }
    }
}
