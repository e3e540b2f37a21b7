using Pipeline.Components;

namespace Pipeline.Decoding;

/// <summary><c>decoding:</c> on a source, Vector's key: which codec turns each frame into an event.</summary>
public sealed class DecodingSettings
{
    [Option("json (a JSON object per frame), text (the frame in .message), logfmt (key=value pairs as string fields, a bare key as true) or syslog (RFC 5424 or RFC 3164: appname, hostname, facility, severity, procid, msgid, timestamp, version, message, structured data). A frame the codec cannot decode is dead-lettered with the reason.",
        Example = "text")]
    public DecodingCodec Codec { get; set; } = DecodingCodec.Json;
}
