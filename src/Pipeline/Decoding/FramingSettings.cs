using Pipeline.Components;

namespace Pipeline.Decoding;

/// <summary><c>framing:</c> on a source that reads a stream, Vector's key: where each event's bytes end.</summary>
public sealed class FramingSettings
{
    [Option("newline_delimited (a frame per line), character_delimited (frames end at character_delimited.delimiter) or bytes (the whole input is one frame, up to max_line).",
        Example = "character_delimited")]
    public FramingMethod Method { get; set; } = FramingMethod.NewlineDelimited;

    [Option("With method: character_delimited, the delimiter.", Example = "{ delimiter: \",\" }")]
    public CharacterDelimitedSettings? CharacterDelimited { get; set; }

    /// <summary>
    /// The byte that ends a frame, or null for <see cref="FramingMethod.Bytes"/>. Throws
    /// <see cref="ComponentBuildException"/> naming <c>{option}.character_delimited.delimiter</c> and the like.
    /// </summary>
    /// <param name="option">Where this block sits: <c>framing</c>.</param>
    public byte? Delimiter(string option)
    {
        switch (Method)
        {
            case FramingMethod.NewlineDelimited:
                return (byte)'\n';
            case FramingMethod.Bytes:
                return null;
            default:
                if (CharacterDelimited is not { } settings)
                {
                    throw new ComponentBuildException(option + ".character_delimited", "method character_delimited needs character_delimited: { delimiter: \",\" } (expected a delimiter, found none)");
                }
                // One byte keeps framing a byte search; a multi-byte UTF-8 character could be split across reads.
                if (settings.Delimiter.Length != 1 || settings.Delimiter[0] > 0x7F)
                {
                    throw new ComponentBuildException(option + ".character_delimited.delimiter", $"expected one ASCII character, found '{settings.Delimiter}'");
                }
                return (byte)settings.Delimiter[0];
        }
    }
}
