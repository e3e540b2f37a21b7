using System.Globalization;
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

    // trace_id/span_id: the enricher's properties (the span of the event the isolate is handling) win over the
    // ambient Activity that Serilog captured, which is the same span whenever both exist.
    private const string Template =
        "{ {" + TimestampField + ": UtcDateTime(@t), "
        + LevelField + ": @l, "
        + MessageField + ": @m, "
        + MessageTemplateField + ": @mt, "
        + ExceptionField + ": @x, "
        + TelemetryNames.TraceIdProperty + ": Coalesce(" + TelemetryNames.TraceIdProperty + ", @tr), "
        + TelemetryNames.SpanIdProperty + ": Coalesce(" + TelemetryNames.SpanIdProperty + ", @sp), "
        + "..rest()} }\n";

    /// <summary>The rendered message alone, as the <c>message</c> field has it (strings unquoted, structures as JSON).</summary>
    public static ITextFormatter CreateMessageOnly() => new ExpressionTemplate("{@m}", CultureInfo.InvariantCulture);

    /// <summary>A new formatter; it is thread-safe, so one per sink is enough.</summary>
    public static ITextFormatter Create() => new ExpressionTemplate(Template, CultureInfo.InvariantCulture);
}
