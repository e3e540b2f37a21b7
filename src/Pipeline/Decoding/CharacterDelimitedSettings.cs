using Pipeline.Components;

namespace Pipeline.Decoding;

/// <summary><c>framing.character_delimited</c>: the one byte that ends a frame.</summary>
public sealed class CharacterDelimitedSettings
{
    [Option("The character that ends each frame: one ASCII character (\"\\t\" for a tab).", Required = true, Example = "\",\"")]
    public string Delimiter { get; set; } = "";
}
