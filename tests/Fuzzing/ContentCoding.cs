namespace Pipeline.Fuzzing;

/// <summary>What the http source makes of a Content-Encoding header.</summary>
public enum ContentCoding
{
    /// <summary>No header, or identity: the body is read as it is.</summary>
    Identity,

    /// <summary>gzip or x-gzip: the body is decompressed, bounded by max_body.</summary>
    Gzip,

    /// <summary>Anything else: 415.</summary>
    Unsupported,
}
