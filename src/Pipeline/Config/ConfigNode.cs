namespace Pipeline.Config;

/// <summary>
/// A YAML node with the place it was written. YamlDotNet's representation model would do, except that it stops at the
/// first duplicate key; this tree keeps going so every error in a file is reported at once.
/// </summary>
internal abstract class ConfigNode(SourceMark mark)
{
    public SourceMark Mark { get; } = mark;

    /// <summary>How the node reads in an error message's "found ..." part.</summary>
    public abstract string Describe();
}
