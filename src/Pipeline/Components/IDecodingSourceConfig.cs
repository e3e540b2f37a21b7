using Pipeline.Decoding;

namespace Pipeline.Components;

/// <summary>A source whose <c>decoding:</c> says what its events are made from, so config checks can see it.</summary>
public interface IDecodingSourceConfig
{
    DecodingSettings Decoding { get; }
}
