using Pipeline.Decoding;

namespace Pipeline.Components;

/// <summary>A source whose <c>decoding:</c> says what its events are made from, so config checks can see it.</summary>
public interface IDecodingSourceConfig
{
    /// <summary>The codec its events are decoded with: <c>decoding.codec</c>, or the source's default.</summary>
    DecodingCodec Codec { get; }
}
