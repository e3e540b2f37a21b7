using Pipeline.Components;

namespace Pipeline.Sinks.Loki;

/// <summary><c>encoding:</c> on a loki sink, Vector's key: what each entry's log line is.</summary>
public sealed class LokiEncodingSettings
{
    public enum LineCodec
    {
        Json,
        Text,
    }

    [Option("json (the whole event as a JSON object, so LogQL's | json sees every field) or text (the event's message field alone; an event without a string message is sent as JSON rather than as an empty line).",
        Example = "text")]
    public LineCodec Codec { get; set; } = LineCodec.Json;
}
