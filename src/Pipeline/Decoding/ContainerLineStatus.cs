namespace Pipeline.Decoding;

/// <summary>What <see cref="ContainerLogDecoder.Decode"/> made of one physical line.</summary>
public enum ContainerLineStatus
{
    /// <summary>A whole logical line is ready (the line itself, or the last piece of a partial line joined to the earlier ones).</summary>
    Complete,

    /// <summary>A piece of a longer line was buffered; nothing to emit yet.</summary>
    Partial,

    /// <summary>The line is not in the decoder's format; the error says why. Pieces buffered for other lines are kept.</summary>
    Invalid,
}
