namespace Pipeline.Config;

/// <summary>A YAML mapping, in file order, with duplicate keys already reported and dropped.</summary>
internal sealed class ConfigMapping(SourceMark mark) : ConfigNode(mark)
{
    public List<KeyValuePair<ConfigScalar, ConfigNode>> Entries { get; } = [];

    public override string Describe() => "a mapping";

    public IEnumerable<string> Keys => Entries.Select(e => e.Key.Value);

    public bool TryGet(string key, out ConfigScalar keyNode, out ConfigNode value)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key.Value == key)
            {
                keyNode = entry.Key;
                value = entry.Value;
                return true;
            }
        }
        keyNode = null!;
        value = null!;
        return false;
    }
}
