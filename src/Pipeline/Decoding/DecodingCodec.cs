namespace Pipeline.Decoding;

/// <summary><c>decoding.codec</c>: how a source turns one frame of input into an event.</summary>
public enum DecodingCodec
{
    /// <summary>A JSON object per frame.</summary>
    Json,

    /// <summary>The frame as it is, in <c>.message</c>.</summary>
    Text,

    /// <summary><c>key=value key2="quoted value" flag</c> pairs as fields.</summary>
    Logfmt,

    /// <summary>An RFC 5424 or RFC 3164 syslog line, as Vector's syslog codec decodes it.</summary>
    Syslog,
}
