using System.Globalization;
using System.Text.Json.Nodes;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// One log event as an Elastic Common Schema document: <c>@timestamp</c>, <c>log.level</c>, <c>log.logger</c>,
/// <c>message</c>, <c>ecs.version</c>, <c>service.*</c>, <c>host.name</c>, <c>trace.id</c>, <c>span.id</c>,
/// <c>error.*</c> for an exception, and every other property under <c>labels</c>.
/// </summary>
/// <remarks>
/// Hand-written because the ECS formatter package (Elastic.CommonSchema.Serilog) is not served here. Labels follow
/// ECS: flat keyword values, no dots in keys (so <c>pipeline.stage</c> becomes <c>labels.pipeline_stage</c>), and
/// structured values as their JSON text.
/// </remarks>
public static class EcsLogDocument
{
    public const string EcsVersion = "8.11.0";

    private const string SourceContextProperty = "SourceContext";

    private static readonly JsonValueFormatter StructuredValue = new(typeTagName: null);

    // The same rendering as the stdout line's "message", so a line reads the same in a terminal and in Kibana.
    private static readonly ITextFormatter Message = JsonLogFormat.CreateMessageOnly();

    public static JsonObject Create(LogEvent logEvent, LogServiceIdentity service)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(service);
        var log = new JsonObject { ["level"] = logEvent.Level.ToString() };
        if (logEvent.Properties.TryGetValue(SourceContextProperty, out var sourceContext))
        {
            log["logger"] = LabelText(sourceContext);
        }
        var serviceObject = new JsonObject { ["name"] = service.Name };
        if (service.Version is not null)
        {
            serviceObject["version"] = service.Version;
        }
        serviceObject["node"] = new JsonObject { ["name"] = service.InstanceId };

        var document = new JsonObject
        {
            ["@timestamp"] = logEvent.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["log"] = log,
            ["message"] = RenderMessage(logEvent),
            ["ecs"] = new JsonObject { ["version"] = EcsVersion },
            ["service"] = serviceObject,
            ["host"] = new JsonObject { ["name"] = service.HostName },
        };
        var (traceId, spanId) = TraceContext.Of(logEvent);
        if (traceId is not null)
        {
            document["trace"] = new JsonObject { ["id"] = traceId };
        }
        if (spanId is not null)
        {
            document["span"] = new JsonObject { ["id"] = spanId };
        }
        if (logEvent.Exception is { } exception)
        {
            document["error"] = new JsonObject
            {
                ["type"] = exception.GetType().FullName,
                ["message"] = exception.Message,
                ["stack_trace"] = exception.ToString(),
            };
        }
        var labels = new JsonObject();
        foreach (var (name, value) in logEvent.Properties)
        {
            if (name is SourceContextProperty or TelemetryNames.TraceIdProperty or TelemetryNames.SpanIdProperty)
            {
                continue;
            }
            labels[name.Replace('.', '_')] = LabelText(value);
        }
        if (labels.Count > 0)
        {
            document["labels"] = labels;
        }
        return document;
    }

    private static string RenderMessage(LogEvent logEvent)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        Message.Format(logEvent, text);
        return text.ToString();
    }

    private static string LabelText(LogEventPropertyValue value)
    {
        if (value is ScalarValue scalar)
        {
            return scalar.Value switch
            {
                null => "null",
                string text => text,
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                var other => other.ToString() ?? "",
            };
        }
        using var json = new StringWriter(CultureInfo.InvariantCulture);
        StructuredValue.Format(value, json);
        return json.ToString();
    }
}
