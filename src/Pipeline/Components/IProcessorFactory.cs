namespace Pipeline.Components;

/// <summary>
/// The result of a processor's build step: validated options, compiled once, and a way to make one private
/// processor per isolate.
/// </summary>
public interface IProcessorFactory
{
    /// <summary>Named outputs, referenced downstream as <c>component_id.name</c>. Empty for a single default output.</summary>
    IReadOnlyList<string> NamedOutputs => [];

    /// <summary>Whether the default output exists besides the named ones (false for route).</summary>
    bool HasDefaultOutput => true;

    IProcessor CreateForIsolate(int isolateIndex);
}
