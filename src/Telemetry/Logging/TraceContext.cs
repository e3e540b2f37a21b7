using Serilog.Events;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// The trace a log event belongs to: the <c>trace_id</c>/<c>span_id</c> properties the isolate's enricher adds (the
/// event being handled, even when it was not sampled and so has no Activity), else the Activity Serilog captured.
/// </summary>
internal static class TraceContext
{
    public static (string? TraceId, string? SpanId) Of(LogEvent logEvent)
    {
        var traceId = Text(logEvent, TelemetryNames.TraceIdProperty) ?? logEvent.TraceId?.ToHexString();
        var spanId = Text(logEvent, TelemetryNames.SpanIdProperty) ?? logEvent.SpanId?.ToHexString();
        return (traceId, spanId);
    }

    private static string? Text(LogEvent logEvent, string property)
        => logEvent.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: { } id }
            ? id.ToString()
            : null;
}
