using System.Diagnostics;
using Serilog.Core;
using Serilog.Events;

namespace Pipeline.Telemetry;

/// <summary>
/// Adds <c>trace_id</c> and <c>span_id</c> to every log event: those of <see cref="Activity.Current"/> (a sampled
/// event's span, or any other span the code runs under), else those the current isolate's event carries (an unsampled
/// event: its trace id, and the span id of its incoming context when it had one). Inside an isolate it also adds
/// <c>pipeline.stage</c> and <c>pipeline.isolate</c>. Properties the log call already has are kept.
/// </summary>
/// <remarks>Costs nothing until something is logged: it only reads two async-locals when a log event is made.</remarks>
public sealed class ActivityEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(propertyFactory);
        var isolate = IsolateLogContext.Current;
        var activity = Activity.Current;
        if (activity is not null && activity.IdFormat == ActivityIdFormat.W3C)
        {
            Add(logEvent, TelemetryNames.TraceIdProperty, activity.TraceId.ToHexString());
            Add(logEvent, TelemetryNames.SpanIdProperty, activity.SpanId.ToHexString());
        }
        else if (isolate is not null && isolate.TryGetIds(out var traceId, out var spanId))
        {
            Add(logEvent, TelemetryNames.TraceIdProperty, traceId);
            if (spanId is not null)
            {
                Add(logEvent, TelemetryNames.SpanIdProperty, spanId);
            }
        }
        if (isolate is not null)
        {
            logEvent.AddPropertyIfAbsent(isolate.StageProperty);
            logEvent.AddPropertyIfAbsent(isolate.IsolateProperty);
        }
    }

    private static void Add(LogEvent logEvent, string name, string value)
        => logEvent.AddPropertyIfAbsent(new LogEventProperty(name, new ScalarValue(value)));
}
