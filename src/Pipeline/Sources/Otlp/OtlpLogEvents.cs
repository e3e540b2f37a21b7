using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using Pipeline.Events;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// Turns the log records of an export request into events of the shape the otlp sink reads back (Vector's
/// <c>opentelemetry</c> source names, docs/otlp.md): message, severity_text, severity_number, timestamp,
/// observed_timestamp, attributes, resources, scope, flags, dropped_attributes_count. A record's trace_id and span_id
/// become its event's trace context, not fields.
/// </summary>
/// <remarks>
/// Each record is written as JSON into a buffer this instance reuses and parsed straight into the event's arena: no
/// string per record. A resource's and a scope's JSON are written once and copied into each of their records. Not
/// thread-safe: a request takes one from a pool.
/// </remarks>
internal sealed class OtlpLogEvents
{
    private readonly ArrayBufferWriter<byte> _record = new(1024);
    private readonly ArrayBufferWriter<byte> _part = new(512);
    private readonly Utf8JsonWriter _recordWriter;
    private readonly Utf8JsonWriter _partWriter;

    public OtlpLogEvents()
    {
        var options = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
        _recordWriter = new Utf8JsonWriter(_record, options);
        _partWriter = new Utf8JsonWriter(_part, options);
    }

    /// <summary>
    /// Appends an event and its trace context per record of <paramref name="request"/>, numbered from 0 in request
    /// order; a record that cannot become an event (nested deeper than events allow) is an error with its reason and
    /// its protobuf bytes, for the dead-letter record.
    /// </summary>
    public void Read(ExportLogsServiceRequest request, List<Event> events, List<ActivityContext> traces, List<int> positions, List<OtlpRecordError> errors)
    {
        var position = 0;
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var resources = resourceLogs.Resource is { Attributes.Count: > 0 } resource ? ObjectJson(resource.Attributes) : null;
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var scope = ScopeJson(scopeLogs.Scope);
                foreach (var record in scopeLogs.LogRecords)
                {
                    try
                    {
                        events.Add(ToEvent(record, resources, scope));
                        traces.Add(TraceContextOf(record));
                        positions.Add(position);
                    }
                    catch (Exception ex) when (ex is EventFormatException or InvalidOperationException)
                    {
                        errors.Add(new OtlpRecordError(position, $"log record {position}: {ex.Message}", record.ToByteArray()));
                    }
                    position++;
                }
            }
        }
    }

    /// <summary>The record's own trace context; default (the pipeline samples as for any new event) when it has none or it is not valid.</summary>
    public static ActivityContext TraceContextOf(LogRecord record)
    {
        if (record.TraceId.Length != 16 || record.SpanId.Length != 8)
        {
            return default;
        }
        var traceId = ActivityTraceId.CreateFromBytes(record.TraceId.Span);
        var spanId = ActivitySpanId.CreateFromBytes(record.SpanId.Span);
        if (traceId == default || spanId == default)
        {
            return default;
        }
        // The low byte of flags is the W3C trace flags (sampled), as the spec lays it out.
        var sampled = (record.Flags & 0x01) != 0 ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None;
        return new ActivityContext(traceId, spanId, sampled, traceState: null, isRemote: true);
    }

    private Event ToEvent(LogRecord record, byte[]? resources, byte[]? scope)
    {
        _record.ResetWrittenCount();
        var w = _recordWriter;
        w.Reset(_record);
        w.WriteStartObject();
        if (record.Body is { ValueCase: not AnyValue.ValueOneofCase.None } body)
        {
            if (body.ValueCase == AnyValue.ValueOneofCase.StringValue)
            {
                w.WriteString("message"u8, body.StringValue);
            }
            else
            {
                // message is always a string, so every consumer can read it as text; a map or array body keeps its
                // structure as JSON text, which the otlp sink sends on as a string body.
                _part.ResetWrittenCount();
                _partWriter.Reset(_part);
                WriteValue(_partWriter, body);
                _partWriter.Flush();
                w.WriteString("message"u8, _part.WrittenSpan);
            }
        }
        if (record.SeverityText.Length > 0)
        {
            w.WriteString("severity_text"u8, record.SeverityText);
        }
        if (record.SeverityNumber != SeverityNumber.Unspecified)
        {
            w.WriteNumber("severity_number"u8, (int)record.SeverityNumber);
        }
        if (record.TimeUnixNano != 0)
        {
            WriteTimestamp(w, "timestamp"u8, record.TimeUnixNano);
        }
        if (record.ObservedTimeUnixNano != 0)
        {
            WriteTimestamp(w, "observed_timestamp"u8, record.ObservedTimeUnixNano);
        }
        if (record.Attributes.Count > 0)
        {
            w.WritePropertyName("attributes"u8);
            WriteObject(w, record.Attributes);
        }
        if (resources is not null)
        {
            w.WritePropertyName("resources"u8);
            w.WriteRawValue(resources, skipInputValidation: true);
        }
        if (scope is not null)
        {
            w.WritePropertyName("scope"u8);
            w.WriteRawValue(scope, skipInputValidation: true);
        }
        if (record.Flags != 0)
        {
            w.WriteNumber("flags"u8, record.Flags);
        }
        if (record.DroppedAttributesCount != 0)
        {
            w.WriteNumber("dropped_attributes_count"u8, record.DroppedAttributesCount);
        }
        w.WriteEndObject();
        w.Flush();
        return Event.Parse(_record.WrittenSpan);
    }

    private byte[] ObjectJson(RepeatedField<KeyValue> members)
    {
        _part.ResetWrittenCount();
        _partWriter.Reset(_part);
        WriteObject(_partWriter, members);
        _partWriter.Flush();
        return _part.WrittenSpan.ToArray();
    }

    private byte[]? ScopeJson(InstrumentationScope? scope)
    {
        if (scope is null || (scope.Name.Length == 0 && scope.Version.Length == 0 && scope.Attributes.Count == 0))
        {
            return null;
        }
        _part.ResetWrittenCount();
        var w = _partWriter;
        w.Reset(_part);
        w.WriteStartObject();
        if (scope.Name.Length > 0)
        {
            w.WriteString("name"u8, scope.Name);
        }
        if (scope.Version.Length > 0)
        {
            w.WriteString("version"u8, scope.Version);
        }
        if (scope.Attributes.Count > 0)
        {
            w.WritePropertyName("attributes"u8);
            WriteObject(w, scope.Attributes);
        }
        w.WriteEndObject();
        w.Flush();
        return _part.WrittenSpan.ToArray();
    }

    private static void WriteObject(Utf8JsonWriter w, RepeatedField<KeyValue> members)
    {
        w.WriteStartObject();
        foreach (var member in members)
        {
            w.WritePropertyName(member.Key);
            WriteValue(w, member.Value);
        }
        w.WriteEndObject();
    }

    /// <summary>AnyValue as OTLP's JSON mapping has it, except int64 as a number (events hold 64-bit integers) and bytes as base64.</summary>
    private static void WriteValue(Utf8JsonWriter w, AnyValue? value)
    {
        switch (value?.ValueCase ?? AnyValue.ValueOneofCase.None)
        {
            case AnyValue.ValueOneofCase.StringValue:
                w.WriteStringValue(value!.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                w.WriteBooleanValue(value!.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                w.WriteNumberValue(value!.IntValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(value!.DoubleValue):
                w.WriteNumberValue(value.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                // JSON has no NaN or infinity; protobuf's JSON mapping writes them as these strings.
                w.WriteStringValue(value!.DoubleValue.ToString(CultureInfo.InvariantCulture));
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                w.WriteBase64StringValue(value!.BytesValue.Span);
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                w.WriteStartArray();
                foreach (var element in value!.ArrayValue.Values)
                {
                    WriteValue(w, element);
                }
                w.WriteEndArray();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                WriteObject(w, value!.KvlistValue.Values);
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }

    /// <summary>RFC 3339 in UTC with all nine digits, so nanoseconds survive the round trip to the otlp sink.</summary>
    private static void WriteTimestamp(Utf8JsonWriter w, ReadOnlySpan<byte> key, ulong unixNanos)
    {
        Span<byte> text = stackalloc byte[40];
        var seconds = DateTime.UnixEpoch.AddTicks((long)(unixNanos / 1_000_000_000 * TimeSpan.TicksPerSecond));
        seconds.TryFormat(text, out var length, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        text[length++] = (byte)'.';
        (unixNanos % 1_000_000_000).TryFormat(text[length..], out var digits, "D9", CultureInfo.InvariantCulture);
        length += digits;
        text[length++] = (byte)'Z';
        w.WriteString(key, text[..length]);
    }
}
