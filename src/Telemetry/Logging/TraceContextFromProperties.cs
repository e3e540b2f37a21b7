using System.Diagnostics;
using Serilog.Core;
using Serilog.Events;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// Wraps the OTLP sink: an event logged outside any Activity but carrying <c>trace_id</c>/<c>span_id</c> properties
/// (an unsampled event being handled) is re-issued with those ids as its trace context, so the OTLP log record joins
/// its trace. Serilog.Sinks.OpenTelemetry itself reads only <see cref="LogEvent.TraceId"/>/<see cref="LogEvent.SpanId"/>.
/// </summary>
internal sealed class TraceContextFromProperties(ILogEventSink inner) : ILogEventSink, IDisposable, IAsyncDisposable
{
    public void Emit(LogEvent logEvent)
    {
        if (logEvent.TraceId is null
            && TryId(logEvent, TelemetryNames.TraceIdProperty, 32, out var traceHex)
            && TryId(logEvent, TelemetryNames.SpanIdProperty, 16, out var spanHex))
        {
            var properties = new List<LogEventProperty>(logEvent.Properties.Count);
            foreach (var (name, value) in logEvent.Properties)
            {
                properties.Add(new LogEventProperty(name, value));
            }
            logEvent = new LogEvent(
                logEvent.Timestamp, logEvent.Level, logEvent.Exception, logEvent.MessageTemplate, properties,
                ActivityTraceId.CreateFromString(traceHex), ActivitySpanId.CreateFromString(spanHex));
        }
        inner.Emit(logEvent);
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
