namespace Pipeline.Processors;

/// <summary>How <c>hash</c> writes a digest.</summary>
public enum HashEncoding
{
    /// <summary>64 lowercase hexadecimal characters.</summary>
    Hex,

    /// <summary>44 characters of standard, padded base64.</summary>
    Base64,
}
