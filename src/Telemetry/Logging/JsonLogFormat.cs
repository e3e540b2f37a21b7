using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Templates;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// The stdout log line: one JSON object per event. Fields, in order: <c>timestamp</c> (UTC, ISO 8601),
/// <c>level</c> (Serilog's level name), <c>message</c> (rendered), <c>message_template</c>, <c>exception</c> (when
/// present), <c>trace_id</c> and <c>span_id</c> (when known), then every other property at the top level, among them
/// <c>pipeline.stage</c> and <c>pipeline.isolate</c> inside an isolate.
/// </summary>
/// <remarks>
/// Serilog.Expressions rather than Serilog.Formatting.Compact: the compact formatters carry either the template
/// (<c>@mt</c>) or the rendered message (<c>@m</c>), never both, omit the level for Information, and name fields with
/// <c>@</c> codes an operator has to look up. A template keeps the field set readable and still leaves the JSON
/// encoding to the library.
/// </remarks>
public static class JsonLogFormat
{
    public const string TimestampField = "timestamp";
    public const string LevelField = "level";
    public const string MessageField = "message";
    public const string MessageTemplateField = "message_template";
    public const string ExceptionField = "exception";

    // The message is rendered from the original properties before they are renamed (see SnakeCaseFields), and
    // travels to the template in these two; naming them in the template keeps them out of rest().
    private const string RenderedMessageProperty = "pipeline_rendered_message";
    private const string TemplateTextProperty = "pipeline_message_template";

    // trace_id/span_id: the enricher's properties (the span of the event the isolate is handling) win over the
    // ambient Activity that Serilog captured, which is the same span whenever both exist.
    private const string Template =
        "{ {" + TimestampField + ": UtcDateTime(@t), "
        + LevelField + ": @l, "
        + MessageField + ": " + RenderedMessageProperty + ", "
        + MessageTemplateField + ": " + TemplateTextProperty + ", "
        + ExceptionField + ": @x, "
        + TelemetryNames.TraceIdProperty + ": Coalesce(" + TelemetryNames.TraceIdProperty + ", @tr), "
        + TelemetryNames.SpanIdProperty + ": Coalesce(" + TelemetryNames.SpanIdProperty + ", @sp), "
        + "..rest()} }\n";

    /// <summary>The rendered message alone, as the <c>message</c> field has it (strings unquoted, structures as JSON).</summary>
    public static ITextFormatter CreateMessageOnly() => new ExpressionTemplate("{@m}", CultureInfo.InvariantCulture);

    /// <summary>A new formatter; it is thread-safe, so one per sink is enough.</summary>
    public static ITextFormatter Create() => new SnakeCaseFields(new ExpressionTemplate(Template, CultureInfo.InvariantCulture));

    /// <summary>
    /// A field name in the line's one scheme, snake_case: template holes (<c>{ComponentId}</c>), the enricher's dotted
    /// OpenTelemetry-style names (<c>pipeline.stage</c>) and Serilog's <c>SourceContext</c> become
    /// <c>component_id</c>, <c>pipeline_stage</c>, <c>source_context</c>.
    /// </summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is '.' or '-' or ' ')
            {
                builder.Append('_');
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                // A word starts after a lower-case letter or digit, or at the last capital of a run (HTTPRequest).
                var previous = i > 0 ? name[i - 1] : '_';
                var next = i + 1 < name.Length ? name[i + 1] : '_';
                if (i > 0 && previous is not ('_' or '.') && (!char.IsAsciiLetterUpper(previous) || char.IsAsciiLetterLower(next)))
                {
                    builder.Append('_');
                }
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    /// <summary>
    /// Renames the fields at the edge, for stdout only: templates keep their idiomatic holes and the OTLP attributes
    /// their dotted names. Costs a copy of the properties per line, which only lines pay, never events.
    /// </summary>
    private sealed class SnakeCaseFields(ITextFormatter inner) : ITextFormatter
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
        private static readonly ITextFormatter MessageOnly = CreateMessageOnly();

        public void Format(LogEvent logEvent, TextWriter output)
        {
            using var message = new StringWriter(CultureInfo.InvariantCulture);
            MessageOnly.Format(logEvent, message);
            var properties = new List<LogEventProperty>(logEvent.Properties.Count + 2)
            {
                new(RenderedMessageProperty, new ScalarValue(message.ToString())),
                new(TemplateTextProperty, new ScalarValue(logEvent.MessageTemplate.Text)),
            };
            foreach (var (name, value) in logEvent.Properties)
            {
                properties.Add(new LogEventProperty(Names.GetOrAdd(name, ToSnakeCase), value));
            }
            inner.Format(new LogEvent(logEvent.Timestamp, logEvent.Level, logEvent.Exception, logEvent.MessageTemplate, properties,
                logEvent.TraceId ?? default, logEvent.SpanId ?? default), output);
        }
    }
}
