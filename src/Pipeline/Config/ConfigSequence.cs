namespace Pipeline.Config;

internal sealed class ConfigSequence(SourceMark mark) : ConfigNode(mark)
{
    public List<ConfigNode> Items { get; } = [];

    public override string Describe() => "a list";
}
