using System.Diagnostics;
using System.Text.Json;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Serilog;
using Serilog.Context;
using Serilog.Events;
using Serilog.Parsing;

namespace Pipeline.Tests.Logging;

public sealed class JsonLogFormatTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, 6, TimeSpan.FromHours(2));

    [Fact]
    public void Line_carries_time_level_message_template_exception_trace_and_properties_in_that_order()
    {
        var traceId = ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736");
        var spanId = ActivitySpanId.CreateFromString("00f067aa0ba902b7");
        var logEvent = new LogEvent(
            At, LogEventLevel.Warning, new InvalidOperationException("boom"),
            new MessageTemplateParser().Parse("Stage {StageId} failed {Attempts} times"),
            [
                new LogEventProperty("StageId", new ScalarValue("parse")),
                new LogEventProperty("Attempts", new ScalarValue(3)),
                new LogEventProperty(TelemetryNames.StageProperty, new ScalarValue("parse")),
                new LogEventProperty(TelemetryNames.IsolateProperty, new ScalarValue(1)),
            ],
            traceId, spanId);

        var line = Format(logEvent);

        Assert.Equal(
            """{"timestamp":"2026-01-02T01:04:05.0060000Z","level":"Warning","message":"Stage parse failed 3 times","message_template":"Stage {StageId} failed {Attempts} times","exception":"System.InvalidOperationException: boom","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","stage_id":"parse","attempts":3,"pipeline_stage":"parse","pipeline_isolate":1}""" + "\n",
            line);
    }

    [Fact]
    public void Line_outside_a_trace_and_without_exception_leaves_those_fields_out()
    {
        var logEvent = new LogEvent(At, LogEventLevel.Information, null, new MessageTemplateParser().Parse("Started"), []);

        using var json = JsonDocument.Parse(Format(logEvent));

        Assert.Equal(["timestamp", "level", "message", "message_template"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Information", json.RootElement.GetProperty("level").GetString());
    }

    [Fact]
    public void Enricher_trace_properties_win_over_the_ambient_activity_and_appear_once()
    {
        using var activity = new Activity("ambient").SetIdFormat(ActivityIdFormat.W3C).Start();
        var lines = new StringWriter();
        using (var logger = new LoggerConfiguration().Enrich.FromLogContext().WriteTo.Sink(new FormattingSink(lines)).CreateLogger())
        using (LogContext.PushProperty(TelemetryNames.TraceIdProperty, "0af7651916cd43dd8448eb211c80319c"))
        using (LogContext.PushProperty(TelemetryNames.SpanIdProperty, "b7ad6b7169203331"))
        using (LogContext.PushProperty(TelemetryNames.StageProperty, "remap"))
        {
            logger.Information("Handled {Count} events", 2);
        }

        using var json = JsonDocument.Parse(lines.ToString());
        var root = json.RootElement;
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", root.GetProperty("trace_id").GetString());
        Assert.Equal("b7ad6b7169203331", root.GetProperty("span_id").GetString());
        Assert.Equal("remap", root.GetProperty("pipeline_stage").GetString());
        Assert.Equal(1, root.EnumerateObject().Count(p => p.Name == "trace_id"));
        Assert.Equal("Handled 2 events", root.GetProperty("message").GetString());
    }

    [Fact]
    public void Logger_inside_an_activity_writes_that_activitys_trace_and_span()
    {
        using var activity = new Activity("hop").SetIdFormat(ActivityIdFormat.W3C).Start();
        var lines = new StringWriter();
        using (var logger = new LoggerConfiguration().WriteTo.Sink(new FormattingSink(lines)).CreateLogger())
        {
            logger.Information("inside");
        }

        using var json = JsonDocument.Parse(lines.ToString());
        Assert.Equal(activity.TraceId.ToHexString(), json.RootElement.GetProperty("trace_id").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), json.RootElement.GetProperty("span_id").GetString());
    }

    [Fact]
    public void Every_event_is_exactly_one_line_even_with_a_multiline_exception()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("first line\nsecond line");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }
        var logEvent = new LogEvent(At, LogEventLevel.Error, thrown, new MessageTemplateParser().Parse("Failed"), []);

        var line = Format(logEvent);

        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        Assert.Contains("second line", json.RootElement.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }

    private static string Format(LogEvent logEvent)
    {
        var writer = new StringWriter();
        JsonLogFormat.Create().Format(logEvent, writer);
        return writer.ToString();
    }

    [Theory]
    [InlineData("ComponentId", "component_id")]
    [InlineData("SourceContext", "source_context")]
    [InlineData("pipeline.stage", "pipeline_stage")]
    [InlineData("trace_id", "trace_id")]
    [InlineData("HTTPRequest", "http_request")]
    [InlineData("Attempt2", "attempt2")]
    public void Every_field_name_becomes_snake_case(string name, string expected)
        => Assert.Equal(expected, JsonLogFormat.ToSnakeCase(name));
}
