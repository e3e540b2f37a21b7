namespace Pipeline.Decoding;

/// <summary><c>framing.method</c>: where one frame (one event's input) ends in a stream of bytes.</summary>
public enum FramingMethod
{
    /// <summary>Each line is a frame.</summary>
    NewlineDelimited,

    /// <summary>Frames end at <c>character_delimited.delimiter</c>.</summary>
    CharacterDelimited,

    /// <summary>The whole input is one frame.</summary>
    Bytes,
}
