using System.Diagnostics;
using System.Buffers;
using System.Text;
using System.Text.Json;
using Pipeline.Events;
using Pipeline.Telemetry;
using ILogger = Serilog.ILogger;

namespace Pipeline.Isolates;

/// <summary>
/// The dead-letter output: one JSON object per line, appended to a file, for every event the pipeline gave up on.
/// </summary>
/// <remarks>
/// Record shape: <c>{"timestamp","pipeline","component_id","reason","attempts","source_id","trace_id"?,
/// "event": {…}}</c>, or <c>"raw": "…"</c> instead of <c>"event"</c> for input that never became an event.
/// Thread-safe: every isolate of every stage writes here. Each record is flushed at once, because a dead-letter
/// that sits in a buffer when the process dies is exactly the loss this file exists to prevent; dead-letters are
/// rare, so the write per record costs nothing that matters. It never throws into the pipeline: if the disk
/// fails, the failure is logged (the record is then lost, and the log says so).
/// </remarks>
public sealed class DeadLetterWriter : IDisposable
{
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private FileStream? _file;
    private bool _disposed;
    private long _written;

    // Set once, under _lock, by the first record.
    private string? _firstReason;

    public DeadLetterWriter(string path, string pipeline, ILogger logger, TimeProvider? time = null)
    {
        Path = path;
        Pipeline = pipeline;
        _logger = logger.ForContext<DeadLetterWriter>();
        _time = time ?? TimeProvider.System;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = false });
    }

    public string Path { get; }

    public string Pipeline { get; }

    /// <summary>Records written since start.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>"component: reason" of the first record written, for the summary of a run that dead-lettered everything.</summary>
    public string? FirstReason => Volatile.Read(ref _firstReason);

    /// <summary>Dead-letters an event. The caller still owns <paramref name="evt"/> (and releases it) afterwards.</summary>
    public void Write(ComponentMetrics component, string reason, int attempts, in Envelope envelope)
        => Write(component, reason, attempts, envelope.SourceId, envelope.TraceIdHex, envelope.TraceContext, envelope.Event, default, isRaw: false);

    /// <summary>Dead-letters input that could not become an event (a malformed line).</summary>
    public void WriteRaw(ComponentMetrics component, string reason, string sourceId, ReadOnlySpan<byte> raw)
        => Write(component, reason, 1, sourceId, null, default, null, raw, isRaw: true);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _json.Dispose();
            _file?.Dispose();
            _file = null;
        }
    }

    private void Write(
        ComponentMetrics component, string reason, int attempts, string sourceId, string? traceId, ActivityContext context, Event? evt, ReadOnlySpan<byte> raw, bool isRaw)
    {
        if (evt is { IsParsed: false })
        {
            // Text a source handed on for a stage to parse (Event.Unparsed), dead-lettered before that stage parsed it
            // (undrained at the hard stop, a failed stage): parsed here, so the record holds a replayable event. Text
            // that is no JSON object never became an event and is recorded as raw input.
            try
            {
                evt.EnsureParsed();
            }
            catch (EventFormatException)
            {
                raw = evt.UnparsedText;
                isRaw = true;
            }
        }
        component.DeadLettered.Inc();
        Interlocked.Increment(ref _written);
        lock (_lock)
        {
            try
            {
                if (_disposed)
                {
                    _logger.Error("Dead-letter output {Path} is closed; lost a record from {ComponentId} ({Reason})", Path, component.ComponentId, reason);
                    return;
                }
                _firstReason ??= $"{component.ComponentId}: {reason}";
                _buffer.ResetWrittenCount();
                _json.Reset(_buffer);
                _json.WriteStartObject();
                _json.WriteString("timestamp", _time.GetUtcNow());
                _json.WriteString("pipeline", Pipeline);
                _json.WriteString("component_id", component.ComponentId);
                _json.WriteString("reason", reason);
                _json.WriteNumber("attempts", attempts);
                _json.WriteString("source_id", sourceId);
                if (traceId is not null)
                {
                    _json.WriteString("trace_id", traceId);
                }
                if (context.TraceId != default)
                {
                    // The whole W3C context, so `pipeline dead-letter replay` continues the event's trace.
                    _json.WriteString("traceparent", $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(int)context.TraceFlags:x2}");
                    if (!string.IsNullOrEmpty(context.TraceState))
                    {
                        _json.WriteString("tracestate", context.TraceState);
                    }
                }
                if (isRaw)
                {
                    // Decoded with replacement characters: invalid UTF-8 is a likely reason the input was rejected.
                    _json.WriteString("raw", Encoding.UTF8.GetString(raw));
                }
                else
                {
                    // The event's own serializer, not _json, whose escaping differs (non-ASCII, "<>&'", surrogate
                    // pairs): the record holds the event byte for byte as a JSON-lines sink would have written it.
                    _json.WritePropertyName("event");
                    _json.WriteRawValue(evt!.ToUtf8Json(), skipInputValidation: true);
                }
                _json.WriteEndObject();
                _json.Flush();
                _buffer.Write("\n"u8);
                var file = _file ??= Open();
                file.Write(_buffer.WrittenSpan);
                file.Flush();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or ArgumentException)
            {
                _logger.Error(ex, "Could not write a dead-letter record from {ComponentId} ({Reason}) to {Path}", component.ComponentId, reason, Path);
            }
        }
    }

    private FileStream Open()
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        return new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }
}
