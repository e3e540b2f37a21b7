using System.Diagnostics;
using Serilog.Core;
using Serilog.Events;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// Wraps the OTLP sink so a log record joins its trace through the record's own trace fields, never through
/// attributes: an event logged outside any Activity but carrying a <c>trace_id</c> property (an unsampled event being
/// handled; <c>span_id</c> only when its incoming context had one) is re-issued with that trace context, and the
/// <c>trace_id</c>/<c>span_id</c> properties (added for stdout's JSON) are left out, so backends do not show them
/// twice. Serilog.Sinks.OpenTelemetry itself reads only <see cref="LogEvent.TraceId"/>/<see cref="LogEvent.SpanId"/>.
/// </summary>
internal sealed class TraceContextFromProperties(ILogEventSink inner) : ILogEventSink, IDisposable, IAsyncDisposable
{
    public void Emit(LogEvent logEvent)
    {
        var hasTraceProperty = logEvent.Properties.ContainsKey(TelemetryNames.TraceIdProperty);
        var hasSpanProperty = logEvent.Properties.ContainsKey(TelemetryNames.SpanIdProperty);
        if (!hasTraceProperty && !hasSpanProperty)
        {
            inner.Emit(logEvent);
            return;
        }
        var traceId = logEvent.TraceId;
        var spanId = logEvent.SpanId;
        if (traceId is null && TryId(logEvent, TelemetryNames.TraceIdProperty, 32, out var traceHex))
        {
            traceId = ActivityTraceId.CreateFromString(traceHex);
            spanId = TryId(logEvent, TelemetryNames.SpanIdProperty, 16, out var spanHex) ? ActivitySpanId.CreateFromString(spanHex) : null;
        }
        var properties = new List<LogEventProperty>(logEvent.Properties.Count);
        foreach (var (name, value) in logEvent.Properties)
        {
            if (name is not TelemetryNames.TraceIdProperty and not TelemetryNames.SpanIdProperty)
            {
                properties.Add(new LogEventProperty(name, value));
            }
        }
        inner.Emit(new LogEvent(logEvent.Timestamp, logEvent.Level, logEvent.Exception, logEvent.MessageTemplate, properties, traceId ?? default, spanId ?? default));
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();

    public ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable asyncDisposable)
        {
            return asyncDisposable.DisposeAsync();
        }
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static bool TryId(LogEvent logEvent, string property, int length, out string hex)
    {
        hex = logEvent.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: { } id } ? id.ToString() ?? "" : "";
        if (hex.Length != length)
        {
            return false;
        }
        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        // All-zero ids are invalid in W3C trace context.
        return hex.AsSpan().ContainsAnyExcept('0');
    }
}
